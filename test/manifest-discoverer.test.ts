import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discovererFactory } from '../examples/manifest-discoverer';
import { type DiscovererContext, MemoryStateStore, runDiscovererConformance } from '../src/index';
import { loadGatewayConfig } from '../src/gateway';
import { TestGateway } from './helpers/gateway';

const silent = { info() {}, warn() {}, error() {} };
const noCatalogs = { names: () => [], listTables: async () => [], countRows: async () => null };

/** A portal folder: a manifest of two files and an archive manifest of one more. */
function writePortal(folder: string): void {
  writeFileSync(path.join(folder, 'rain.csv'), 'day,mm\n2024-01-01,3.5\n2024-01-02,0\n');
  writeFileSync(path.join(folder, 'wind.csv'), 'day,kmh\n2024-01-01,12\n2024-01-02,30\n');
  writeFileSync(path.join(folder, 'snow-1998.csv'), 'day,cm\n1998-02-01,40\n1998-02-02,42\n');
  const entry = (id: string, title: string, file: string, keywords: string[]) => ({
    id,
    title,
    file,
    format: 'csv',
    description: `${title} measured daily`,
    keywords,
  });
  writeFileSync(
    path.join(folder, 'portal.json'),
    JSON.stringify({
      datasets: [entry('rain', 'Rainfall', 'rain.csv', ['weather']), entry('wind', 'Wind speed', 'wind.csv', [])],
    }),
  );
  writeFileSync(
    path.join(folder, 'archive.json'),
    JSON.stringify({ datasets: [entry('snow-1998', 'Snow depth 1998', 'snow-1998.csv', ['winter'])] }),
  );
}

const conformanceFolder = mkdtempSync(path.join(os.tmpdir(), 'freshet-manifest-'));
writePortal(conformanceFolder);
after(() => rmSync(conformanceFolder, { recursive: true, force: true }));

runDiscovererConformance('example third-party discoverer (manifest)', discovererFactory, {
  makeContext: (): DiscovererContext => ({
    id: 'manifest',
    baseDir: conformanceFolder,
    stateStore: new MemoryStateStore(),
    logger: silent,
    catalogs: noCatalogs,
    now: () => new Date(),
  }),
  options: () => ({ manifest: 'portal.json', archive: 'archive.json' }),
  change: async () => {
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(conformanceFolder, 'wind.csv'), later, later);
    return 'wind';
  },
  remove: async () => {
    rmSync(path.join(conformanceFolder, 'rain.csv'));
    return 'rain';
  },
  query: () => ({ keywords: ['snow'], columns: [], types: [], kind: null, temporal: null }),
  reset: async () => writePortal(conformanceFolder),
});

describe('example third-party discoverer (manifest) in a gateway', function () {
  this.timeout(60_000);
  const folder = mkdtempSync(path.join(os.tmpdir(), 'freshet-portal-'));
  const type = path.resolve(__dirname, '..', 'examples', 'manifest-discoverer');
  let gw: TestGateway;

  before(async () => {
    writePortal(folder);
    gw = await TestGateway.start({
      discovery: {
        discoverers: [
          { type: 'catalogs', enabled: false },
          {
            type,
            id: 'portal',
            options: { manifest: path.join(folder, 'portal.json'), archive: path.join(folder, 'archive.json') },
          },
        ],
      },
    });
  });

  after(async () => {
    await gw.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('is loaded by module path and publishes its manifest, profiled', async () => {
    const run = await gw.request('POST', '/v3/discoverers/portal/run');
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.equal(run.body.published, 2);
    await gw.gateway.discovery.idle();
    const rain = await gw.request('GET', `/v3/datasets/${encodeURIComponent('portal:rain')}`);
    assert.equal(rain.body.name, 'Rainfall');
    assert.equal(rain.body.status, 'profiled');
    assert.deepEqual(
      rain.body.columns.map((c: { name: string; semanticType: string }) => [c.name, c.semanticType]),
      [
        ['day', 'datetime'],
        ['mm', 'float'],
      ],
    );
  });

  it('answers a search on demand from its archive, the archive dataset joining the answer', async () => {
    const res = await gw.request('POST', '/v3/datasets/search', { keywords: 'snow' });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.results.map((r: { id: string }) => r.id),
      ['portal:snow-1998'],
    );
    // Published for the search, it is kept when the next run of discover does not publish it.
    await gw.request('POST', '/v3/discoverers/portal/run');
    assert.equal((await gw.request('GET', `/v3/datasets/${encodeURIComponent('portal:snow-1998')}`)).status, 200);
  });

  it('reports every bad option at start-up, naming the discoverer', () => {
    assert.throws(
      () =>
        loadGatewayConfig({
          env: {},
          overrides: {
            discovery: {
              discoverers: [
                { type, id: 'portal', options: { manifest: 7, colour: 'red' } },
                { type: 'files', options: { folders: [], delimiter: ';;' } },
                { type: 'nowhere-to-be-found' },
              ],
            },
          },
        }),
      (error: Error) => {
        assert.match(error.message, /Invalid options for discoverer 'portal' \(manifest\)/);
        assert.match(error.message, /discovery\.discoverers\[0\]\.options\.manifest/);
        assert.match(error.message, /colour/);
        assert.match(error.message, /Invalid options for discoverer 'files'/);
        assert.match(error.message, /discovery\.discoverers\[1\]\.options\.folders/);
        assert.match(error.message, /discovery\.discoverers\[1\]\.options\.delimiter/);
        assert.match(error.message, /'nowhere-to-be-found' is neither a built-in discoverer \(catalogs, files\)/);
        return true;
      },
    );
  });
});
