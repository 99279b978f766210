import { strict as assert } from 'node:assert';
import { TestGateway } from './helpers/gateway';

describe('discovery routes and scopes', function () {
  this.timeout(30_000);
  const tokens = {
    read: 'read-token-0123456789',
    operate: 'operate-token-0123456789',
    admin: 'admin-token-0123456789',
  };
  let gw: TestGateway;
  const as = (who: keyof typeof tokens, method: string, route: string, body?: unknown) =>
    gw.request(method, route, body, { authorization: `Bearer ${tokens[who]}` });

  before(async () => {
    gw = await TestGateway.start({
      auth: {
        tokens: [
          { token: tokens.read, scopes: ['read'] },
          { token: tokens.operate, scopes: ['operate'] },
          { token: tokens.admin, scopes: ['admin'] },
        ],
      },
    });
    assert.equal((await as('admin', 'POST', '/v3/statements', { statement: 'CREATE TABLE t (k TEXT)' })).status, 200);
  });
  after(() => gw.close());

  it('lets read search and look, operate profile and run discoverers, and only admin materialise', async () => {
    assert.equal((await as('read', 'POST', '/v3/datasets/search', { keywords: 't' })).status, 200);
    assert.equal((await as('read', 'GET', '/v3/datasets')).status, 200);
    assert.equal((await as('read', 'GET', '/v3/discovery/errors')).status, 200);
    assert.equal((await as('read', 'POST', '/v3/discoverers/catalogs/run')).status, 403);
    assert.equal((await as('operate', 'POST', '/v3/discoverers/catalogs/run')).status, 200);
    const id = encodeURIComponent('catalogs:default.main.t');
    assert.equal((await as('read', 'POST', `/v3/datasets/${id}/profile`)).status, 403);
    assert.equal((await as('operate', 'POST', `/v3/datasets/${id}/profile`)).status, 200);
    assert.equal((await as('operate', 'POST', `/v3/datasets/${id}/materialize`, {})).status, 403);
    assert.equal((await as('admin', 'POST', `/v3/datasets/${id}/materialize`, {})).body.error.code, 'INVALID_STATE');
    const [shown] = (await as('read', 'POST', '/v3/statements', { statement: 'SHOW DATASETS' })).body.results;
    assert.deepEqual(
      shown.rows.map((r: unknown[]) => r[0]),
      ['catalogs:default.main.t'],
    );
  });
});
