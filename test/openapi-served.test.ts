import { strict as assert } from 'node:assert';
import { openApiDocument, ROUTE_SPECS, responseSchemaOf } from '../src/rest/openapi';
import { BACKENDS as STORAGE } from './helpers/backends';
import { TestGateway } from './helpers/gateway';

/** The schema the document gives for a route's answer with `status`: the same object the document was built from. */
function documented(operationId: string, status: number) {
  const spec = ROUTE_SPECS.find((s) => s.operationId === operationId);
  assert.ok(spec, operationId);
  const schema = responseSchemaOf(spec, status);
  assert.ok(schema, `${operationId} documents no ${status}`);
  return schema;
}

/** Parses `body` with the documented schema, failing with zod's words when it does not conform. */
function conforms(operationId: string, res: { status: number; body: unknown }): void {
  const parsed = documented(operationId, res.status).safeParse(res.body);
  assert.ok(parsed.success, `${operationId} ${res.status}: ${parsed.error?.message}\n${JSON.stringify(res.body)}`);
}

/** Fields of an answer its documented object leaves out (schemas are open, so parsing alone would not notice). */
function undocumentedFields(operationId: string, status: number, body: Record<string, unknown>): string[] {
  const schema = documented(operationId, status) as unknown as { shape: Record<string, unknown> };
  return Object.keys(body).filter((key) => !(key in schema.shape));
}

const BACKENDS = STORAGE.map((backend) => ({ name: `${backend.name} catalog`, config: () => backend.setUp() }));

for (const backend of BACKENDS) {
  describe(`OpenAPI document: real answers conform (${backend.name})`, function () {
    this.timeout(60_000);
    let gw: TestGateway;
    let drop: () => Promise<void>;

    beforeEach(async () => {
      const config = await backend.config();
      drop = config.drop;
      gw = await TestGateway.start(config.overrides);
      await gw.sql(`CREATE TABLE orders (customer TEXT, amount INTEGER);
        INSERT INTO orders VALUES ('ada', 10), ('ada', 5), ('bob', 7)`);
    });
    afterEach(async () => {
      await gw.close();
      await drop();
    });

    it('GET /v3/dynamic-tables/{id}, the list, a refresh and its job answer as documented', async () => {
      const created = await gw.request('POST', '/v3/statements', {
        statement: `CREATE DYNAMIC TABLE spend FRESHNESS = INTERVAL '1' HOUR
          AS SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer`,
      });
      conforms('runStatements', created);

      const detail = await gw.request('GET', '/v3/dynamic-tables/spend');
      assert.equal(detail.status, 200);
      assert.equal(detail.body.identifier, 'default.main.spend');
      assert.ok(detail.body.lastRefresh, 'the creation refresh shows');
      conforms('getDynamicTable', detail);
      assert.deepEqual(undocumentedFields('getDynamicTable', 200, detail.body), []);

      const list = await gw.request('GET', '/v3/dynamic-tables?limit=10');
      conforms('listDynamicTables', list);
      assert.equal(list.body.tables.length, 1);

      const refreshed = await gw.request('POST', '/v3/dynamic-tables/refresh?wait=30', { tables: ['spend'] });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      conforms('refreshTables', refreshed);
      const job = await gw.request('GET', `/v3/jobs/${encodeURIComponent(refreshed.body.jobId)}`);
      conforms('getJob', job);
      assert.deepEqual(undocumentedFields('getJob', 200, job.body), []);
      conforms('listRefreshes', await gw.request('GET', '/v3/dynamic-tables/spend/refreshes'));
      conforms('getLineage', await gw.request('GET', '/v3/lineage?table=spend'));
    });

    it('errors answer with the documented envelope and codes', async () => {
      const missing = await gw.request('GET', '/v3/dynamic-tables/nothing_here');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'NOT_FOUND');
      conforms('getDynamicTable', missing);

      const unparsable = await gw.request('POST', '/v3/statements', { statement: 'SELEC 1' });
      assert.equal(unparsable.status, 400);
      conforms('runStatements', unparsable);

      const invalid = await gw.request('GET', '/v3/lineage?table=spend&depth=many');
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body.error.code, 'VALIDATION_ERROR');
      conforms('getLineage', invalid);

      // A code the route does not document is refused by the documented schema.
      const wrong = { error: { code: 'ALREADY_EXISTS', message: 'x' } };
      assert.equal(documented('getDynamicTable', 404).safeParse(wrong).success, false);
    });
  });
}

describe('OpenAPI document and /docs, served', function () {
  this.timeout(60_000);
  const admin = 'admin-token-for-openapi';
  const metrics = 'metrics-token-for-openapi';
  let open: TestGateway;
  let guarded: TestGateway;

  before(async () => {
    open = await TestGateway.start();
    guarded = await TestGateway.start({
      auth: {
        tokens: [
          { token: admin, scopes: ['admin'] },
          { token: metrics, scopes: ['metrics'] },
        ],
      },
    });
  });
  after(async () => {
    await open.close();
    await guarded.close();
  });

  it('serves the document: openly without tokens, to any valid token with them', async () => {
    const served = await open.request('GET', '/v3/openapi.json');
    assert.equal(served.status, 200);
    assert.deepEqual(served.body, JSON.parse(JSON.stringify(openApiDocument())));

    const anonymous = await guarded.request('GET', '/v3/openapi.json');
    assert.equal(anonymous.status, 401);
    conforms('getOpenApiDocument', anonymous);
    const wrong = await guarded.request('GET', '/v3/openapi.json', undefined, { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    const byMetrics = await guarded.request('GET', '/v3/openapi.json', undefined, {
      authorization: `Bearer ${metrics}`,
    });
    assert.equal(byMetrics.status, 200);
    assert.equal(byMetrics.body.openapi, served.body.openapi);
    // The metrics scope still reads nothing else.
    const tables = await guarded.request('GET', '/v3/dynamic-tables', undefined, {
      authorization: `Bearer ${metrics}`,
    });
    assert.equal(tables.status, 403);
  });

  it('/docs is swagger-ui from node_modules, its assets load, and it points at the document', async () => {
    const bare = await fetch(`${open.url}/docs`, { redirect: 'manual' });
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get('location'), '/docs/');

    for (const gw of [open, guarded]) {
      const page = await fetch(`${gw.url}/docs/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const html = await page.text();
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
      assert.ok(assets.length >= 5, html);
      for (const asset of assets) {
        assert.doesNotMatch(asset, /^(https?:)?\/\//, `${asset} is fetched from elsewhere`);
        const res = await fetch(new URL(asset, `${gw.url}/docs/`));
        assert.equal(res.status, 200, asset);
        const type = res.headers.get('content-type') ?? '';
        const expected = asset.endsWith('.css') ? /^text\/css/ : asset.endsWith('.js') ? /javascript/ : /^image\/png/;
        assert.match(type, expected, `${asset}: ${type}`);
        await res.arrayBuffer();
      }
    }
    const initializer = await (await fetch(`${open.url}/docs/swagger-initializer.js`)).text();
    assert.match(initializer, /'\.\.\/v3\/openapi\.json'/);
    assert.match(initializer, /validatorUrl: null/, "swagger-ui's online validator stays off");
    assert.doesNotMatch(initializer, /petstore|https?:/);
  });
});
