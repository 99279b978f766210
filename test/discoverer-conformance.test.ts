import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineCatalogAccess } from '../src/discovery/catalog-access';
import { catalogsDiscovererFactory } from '../src/discovery/catalogs-discoverer';
import { filesDiscovererFactory } from '../src/discovery/files-discoverer';
import type { Engine } from '../src/engine/engine';
import { createEngine } from '../src/engine/registry';
import { type DiscovererContext, MemoryStateStore, runDiscovererConformance } from '../src/index';

const silent = { info() {}, warn() {}, error() {} };
const folder = mkdtempSync(path.join(os.tmpdir(), 'freshet-discoverers-'));
after(() => rmSync(folder, { recursive: true, force: true }));

// ---- files ----

const files = path.join(folder, 'files');
function writeFiles(): void {
  rmSync(files, { recursive: true, force: true });
  mkdirSync(path.join(files, 'nested'), { recursive: true });
  writeFileSync(path.join(files, 'a.csv'), 'k,v\n1,x\n');
  writeFileSync(path.join(files, 'b.tsv'), 'k\tv\n1\tx\n');
  writeFileSync(path.join(files, 'nested', 'c.ndjson'), '{"k": 1}\n');
  writeFileSync(path.join(files, 'notes.txt'), 'not a dataset\n');
}
writeFiles();

const noCatalogs = { names: () => [], listTables: async () => [], countRows: async () => null };

runDiscovererConformance('built-in files', filesDiscovererFactory, {
  makeContext: (): DiscovererContext => ({
    id: 'files',
    baseDir: folder,
    stateStore: new MemoryStateStore(),
    logger: silent,
    catalogs: noCatalogs,
    now: () => new Date(),
  }),
  options: () => ({ folders: ['files'] }),
  change: async () => {
    writeFileSync(path.join(files, 'a.csv'), 'k,v\n1,x\n2,y\n');
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(files, 'a.csv'), later, later);
    return 'a.csv';
  },
  remove: async () => {
    rmSync(path.join(files, 'nested', 'c.ndjson'));
    return 'nested/c.ndjson';
  },
  reset: async () => writeFiles(),
});

// ---- catalogs ----

let engine: Engine | null = null;
const dynamic = { list: async () => [], recentSuccesses: async () => new Map() };

async function catalogEngine(): Promise<Engine> {
  if (engine === null) {
    engine = createEngine(`sqlite:${path.join(folder, 'catalogs.db')}`, { baseDir: folder });
    await engine.open();
    await engine.execute('CREATE TABLE orders (id INTEGER, amount REAL)', { rowLimit: 0 });
    await engine.execute('CREATE TABLE customers (id INTEGER, name TEXT)', { rowLimit: 0 });
  }
  return engine;
}
after(async () => engine?.close());

let access: EngineCatalogAccess | null = null;
before(async () => {
  access = new EngineCatalogAccess({
    engines: new Map([['default', await catalogEngine()]]),
    tables: dynamic,
    jobs: dynamic,
  });
});

runDiscovererConformance('built-in catalogs', catalogsDiscovererFactory, {
  makeContext: (): DiscovererContext => ({
    id: 'catalogs',
    baseDir: folder,
    stateStore: new MemoryStateStore(),
    logger: silent,
    catalogs: access as EngineCatalogAccess,
    now: () => new Date(),
  }),
  options: () => ({}),
  change: async () => {
    await (await catalogEngine()).execute('INSERT INTO orders VALUES (1, 2.5)', { rowLimit: 0 });
    return 'default.main.orders';
  },
  remove: async () => {
    await (await catalogEngine()).execute('DROP TABLE customers', { rowLimit: 0 });
    return 'default.main.customers';
  },
  reset: async () => {
    const e = await catalogEngine();
    await e.execute('DELETE FROM orders', { rowLimit: 0 });
    await e.execute('CREATE TABLE IF NOT EXISTS customers (id INTEGER, name TEXT)', { rowLimit: 0 });
  },
});
