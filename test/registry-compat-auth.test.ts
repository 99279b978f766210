import { strict as assert } from 'node:assert';
import type { ConfigInput } from '../src/config/config';
import { createDatabase } from './helpers/databases';
import { TestGateway } from './helpers/gateway';

const BACKENDS: ReadonlyArray<{ name: string; config(): Promise<{ overrides: ConfigInput; drop(): Promise<void> }> }> =
  [
    { name: 'SQLite catalog', config: async () => ({ overrides: {}, drop: async () => undefined }) },
    {
      name: 'PostgreSQL catalog',
      config: async () => {
        const catalog = await createDatabase('postgres');
        return { overrides: { catalog: { url: catalog.url } }, drop: () => catalog.drop() };
      },
    },
  ];

async function post(url: string, body?: string, contentType?: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const query = (params: Record<string, string>) => new URLSearchParams(params).toString();

for (const backend of BACKENDS) {
  describe(`the seed registry's endpoints (${backend.name})`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let drop: () => Promise<void>;

    beforeEach(async () => {
      const config = await backend.config();
      drop = config.drop;
      gw = await TestGateway.start(config.overrides);
    });
    afterEach(async () => {
      await gw.close();
      await drop();
    });

    it('registers, provides, locks, unlocks and checks readiness with query parameters and real statuses', async () => {
      const source = { source_name: 'public.some_source', owner: 'ada@example.com' };
      const registered = await post(`${gw.url}/sources/register?${query(source)}`);
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      const token = registered.body.access_token;
      assert.equal(typeof token, 'string');
      const again = await post(`${gw.url}/sources/register?${query(source)}`);
      assert.equal(again.status, 409);
      assert.equal(again.body.access_token, undefined);

      // The seed names the source by the token alone when registering a provider.
      const provider = { provider_name: 'bob@example.com', access_token: token };
      const provided = await post(`${gw.url}/providers/register?${query(provider)}`);
      assert.equal(provided.status, 201, JSON.stringify(provided.body));
      assert.equal(provided.body.source_name, 'public.some_source');
      assert.equal((await post(`${gw.url}/providers/register?${query(provider)}`)).status, 200);
      const stranger = await post(`${gw.url}/providers/register?${query({ ...provider, access_token: 'nope' })}`);
      assert.equal(stranger.status, 403);

      // Python's str() of an aware datetime, as the seed's examples send it.
      const partition = {
        source_name: 'public.some_source',
        provider_name: 'bob@example.com',
        start: '2000-01-01 00:00:00+00:00',
        end: '2000-01-02 00:00:00+00:00',
      };
      const noToken = await post(`${gw.url}/partitions/register?${query(partition)}`);
      assert.equal(noToken.status, 403, JSON.stringify(noToken.body));
      assert.match(noToken.body.error.message, /access token/);
      const withToken = { ...partition, access_token: token };
      const created = await post(`${gw.url}/partitions/register?${query(withToken)}`);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(
        [created.body.start, created.body.end],
        ['2000-01-01T00:00:00.000Z', '2000-01-02T00:00:00.000Z'],
      );
      // A `+` written into the URL unencoded arrives as a space.
      const raw = `source_name=public.some_source&provider_name=bob%40example.com&start=2000-01-01 00:00:00+00:00&end=2000-01-02 00:00:00+00:00`;
      const same = await post(`${gw.url}/partitions/register?${raw.replace(/ /g, '%20')}`, undefined, undefined, {
        authorization: `Bearer ${token}`,
      });
      assert.equal(same.status, 200, JSON.stringify(same.body));
      assert.equal(same.body.id, created.body.id);

      assert.equal((await post(`${gw.url}/partitions/lock?${query(withToken)}`)).status, 200);
      const check = (start: string, end: string) =>
        gw.request('GET', `/sources/public.some_source/check_readiness?${query({ start, end })}`);
      let answer = await check('2000-01-01T00:00:00Z', '2000-01-02T00:00:00Z');
      assert.equal(answer.status, 200);
      assert.deepEqual([answer.body.is_ready, answer.body.ready, answer.body.locked.length], [false, false, 1]);
      assert.match(answer.body.message, /not ready/);
      assert.equal((await post(`${gw.url}/partitions/unlock?${query(withToken)}`)).status, 200);
      answer = await check('2000-01-01 00:00:00', '2000-01-02 00:00:00');
      assert.deepEqual([answer.body.is_ready, answer.body.readyThrough], [true, '2000-01-02T00:00:00.000Z']);
      assert.match(answer.body.message, /is ready/);

      const unknown = await post(`${gw.url}/partitions/lock?${query({ ...withToken, end: '2000-01-03 00:00:00' })}`);
      assert.equal(unknown.status, 404);
      const bad = await post(`${gw.url}/partitions/lock?${query({ ...withToken, start: 'soon' })}`);
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /^start: /);
      assert.equal((await check('2000-01-01', 'later')).status, 400);
      assert.equal(
        (await gw.request('GET', `/sources/nope/check_readiness?${query({ start: '2000-01-01', end: '2000-01-02' })}`))
          .status,
        404,
      );
    });

    it('takes the parameters in a JSON or a form body too', async () => {
      const json = await post(`${gw.url}/sources/register`, JSON.stringify({ source_name: 'a.b', owner: 'ada' }));
      assert.equal(json.status, 201, JSON.stringify(json.body));
      const token = json.body.access_token;
      const form = await post(
        `${gw.url}/providers/register`,
        query({ provider_name: 'p', access_token: token, source_name: 'a.b' }),
        'application/x-www-form-urlencoded',
      );
      assert.equal(form.status, 201, JSON.stringify(form.body));
      const partition = { source_name: 'a.b', provider_name: 'p', start: '2000-01-01', end: '2000-01-02' };
      const formPartition = await post(
        `${gw.url}/partitions/register`,
        query({ ...partition, access_token: token }),
        'application/x-www-form-urlencoded',
      );
      assert.equal(formPartition.status, 201, JSON.stringify(formPartition.body));
      const jsonUnlock = await post(
        `${gw.url}/partitions/unlock`,
        JSON.stringify({ ...partition, access_token: token }),
      );
      assert.equal(jsonUnlock.status, 200);
      const missing = await post(
        `${gw.url}/partitions/unlock`,
        JSON.stringify({ source_name: 'a.b', access_token: token }),
      );
      assert.equal(missing.status, 400);
      assert.match(missing.body.error.message, /provider_name/);
    });
  });
}

describe('source registry with gateway tokens', function () {
  this.timeout(60_000);
  const ADMIN = 'admin-token-1234567';
  const OPERATE = 'operate-token-1234567';
  const READ = 'read-token-1234567';
  let gw: TestGateway;

  before(async () => {
    gw = await TestGateway.start({
      auth: {
        tokens: [
          { token: ADMIN, scopes: ['admin'] },
          { token: OPERATE, scopes: ['operate'] },
          { token: READ, scopes: ['read'] },
        ],
      },
    });
  });
  after(() => gw.close());

  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const day = { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' };

  it('needs operate or admin to register a source, and read to look', async () => {
    const body = { name: 'orders', owner: 'ada' };
    assert.equal((await gw.request('POST', '/v3/sources', body)).status, 401);
    const read = await gw.request('POST', '/v3/sources', body, as(READ));
    assert.equal(read.status, 403);
    assert.match(read.body.error.message, /needs the operate scope/);
    assert.equal((await gw.request('POST', '/v3/sources', body, as(OPERATE))).status, 201);
    assert.equal((await gw.request('POST', '/v3/sources', { ...body, name: 'o2' }, as(ADMIN))).status, 201);
    assert.equal(
      (await gw.request('POST', `/sources/register?source_name=o3&owner=ada`, undefined, as(READ))).status,
      403,
    );
    assert.equal((await gw.request('GET', '/v3/sources')).status, 401);
    assert.equal((await gw.request('GET', '/v3/sources', undefined, as(READ))).status, 200);
    const readiness = `/v3/sources/orders/readiness?start=${day.start}&end=${day.end}`;
    assert.equal((await gw.request('GET', readiness, undefined, as(READ))).status, 200);
    const seedCheck = `/sources/orders/check_readiness?start=${day.start}&end=${day.end}`;
    assert.equal((await gw.request('GET', seedCheck)).status, 401);
    assert.equal((await gw.request('GET', seedCheck, undefined, as(READ))).status, 200);
    assert.equal((await gw.request('DELETE', '/v3/sources/o2', undefined, as(OPERATE))).status, 403);
    assert.equal((await gw.request('DELETE', '/v3/sources/o2', undefined, as(ADMIN))).status, 200);
  });

  it('lets a provider write with the source token alone, and an admin token write any source', async () => {
    const created = await gw.request('POST', '/v3/sources', { name: 'events', owner: 'ada' }, as(ADMIN));
    const token = created.body.accessToken;
    const provider = await gw.request('POST', '/v3/providers', { name: 'dag', source: 'events' }, as(token));
    assert.equal(provider.status, 201, JSON.stringify(provider.body));
    const partition = { provider: 'dag', ...day, state: 'ready' };
    const byToken = await gw.request('POST', '/v3/sources/events/partitions', partition, as(token));
    assert.equal(byToken.status, 201, JSON.stringify(byToken.body));
    const none = await gw.request('POST', '/v3/sources/events/partitions', partition);
    assert.equal(none.status, 403);
    assert.match(none.body.error.message, /access token/);
    const { state: _state, ...key } = partition;
    const wrong = await gw.request('POST', '/v3/sources/events/partitions/lock', key, as('not-a-token'));
    assert.equal(wrong.status, 403);
    // A gateway token that is not admin is no source token.
    const operate = await gw.request('POST', '/v3/sources/events/partitions/lock', key, as(OPERATE));
    assert.equal(operate.status, 403);
    const admin = await gw.request('POST', '/v3/sources/events/partitions/lock', key, as(ADMIN));
    assert.equal(admin.status, 200, JSON.stringify(admin.body));
    const operateWithBodyToken = await gw.request(
      'POST',
      '/v3/sources/events/partitions/unlock',
      { ...key, accessToken: token },
      as(OPERATE),
    );
    assert.equal(operateWithBodyToken.status, 200);
    const adminProvider = await gw.request('POST', '/v3/providers', { name: 'ops', source: 'events' }, as(ADMIN));
    assert.equal(adminProvider.status, 201);
    const seed = await gw.request(
      'POST',
      `/partitions/lock?${query({ source_name: 'events', provider_name: 'dag', start: day.start, end: day.end, access_token: token })}`,
    );
    assert.equal(seed.status, 200, JSON.stringify(seed.body));
  });
});

describe('source registry without gateway tokens', function () {
  this.timeout(60_000);
  it('still needs the source token to write', async () => {
    const gw = await TestGateway.start();
    try {
      const created = await gw.request('POST', '/v3/sources', { name: 'x', owner: 'ada' });
      assert.equal(created.status, 201);
      const provider = await gw.request('POST', '/v3/providers', { name: 'p', source: 'x' });
      assert.equal(provider.status, 403);
      const ok = await gw.request('POST', '/v3/providers', {
        name: 'p',
        source: 'x',
        accessToken: created.body.accessToken,
      });
      assert.equal(ok.status, 201);
      const partition = await gw.request('POST', '/v3/sources/x/partitions', {
        provider: 'p',
        start: '2026-01-01',
        end: '2026-01-02',
      });
      assert.equal(partition.status, 403);
    } finally {
      await gw.close();
    }
  });
});
