/**
 * Differential tests of incremental refresh: seeded random workloads of inserts, updates and deletes against
 * every supported query shape, and after each incremental refresh the dynamic table must hold exactly what a
 * full recomputation of its query gives. Runs on SQLite and on PostgreSQL (which must be running).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Engine, IncrementalRefreshSpec, RefreshOutcome, TableRef } from '../src/engine/engine';
import { createEngine } from '../src/engine/registry';
import { planIncremental } from '../src/sql/incremental-plan';
import { rowsOf } from './helpers/assertions';
import { createDatabase } from './helpers/databases';
import { sleep, waitUntil } from './helpers/wait';

interface Subject {
  readonly kind: 'sqlite' | 'postgres';
  readonly dialect: 'sqlite' | 'postgresql';
  readonly setUp: () => Promise<{ url: string; baseDir: string; tearDown: () => Promise<void> }>;
}

function temporaryFolder(): { dir: string; remove: () => Promise<void> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freshet-incremental-'));
  return { dir, remove: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const SUBJECTS: readonly Subject[] = [
  {
    kind: 'sqlite',
    dialect: 'sqlite',
    setUp: async () => {
      const folder = temporaryFolder();
      return { url: 'sqlite:data/engine.sqlite', baseDir: folder.dir, tearDown: folder.remove };
    },
  },
  {
    kind: 'postgres',
    dialect: 'postgresql',
    setUp: async () => {
      const database = await createDatabase('postgres');
      const folder = temporaryFolder();
      return {
        url: database.url,
        baseDir: folder.dir,
        tearDown: async () => {
          await database.drop();
          await folder.remove();
        },
      };
    },
  },
];

/** Every supported shape, with the edge cases the workload provokes in mind. */
const QUERIES: ReadonlyArray<{ readonly name: string; readonly query: string }> = [
  {
    name: 'filter_projection',
    query: 'SELECT id, region, amount * 2 AS double_amount FROM orders WHERE amount > 20 OR amount IS NULL',
  },
  { name: 'inner_join', query: 'SELECT o.id, o.amount, c.name FROM orders o JOIN customers c ON o.customer_id = c.id' },
  {
    name: 'join_by_table_names',
    query:
      "SELECT orders.id, orders.region, customers.tier FROM orders INNER JOIN customers ON orders.customer_id = customers.id WHERE customers.tier <> 'gold'",
  },
  {
    name: 'group_by',
    query:
      'SELECT region, COUNT(*) AS n, COUNT(amount) AS n_amount, SUM(amount) AS total, AVG(amount) AS mean, MIN(amount) AS low, MAX(amount) AS high FROM orders GROUP BY region',
  },
  {
    name: 'single_group',
    query:
      'SELECT COUNT(*) AS n, SUM(amount) AS total, AVG(amount) AS mean, MAX(amount) AS high FROM orders WHERE region IS NOT NULL',
  },
  { name: 'count_only', query: 'SELECT COUNT(*) AS n FROM orders' },
  { name: 'key_not_selected', query: 'SELECT SUM(amount) AS total, COUNT(*) AS n FROM orders GROUP BY region' },
  { name: 'group_without_aggregates', query: 'SELECT customer_id, region FROM orders GROUP BY customer_id, region' },
  { name: 'distinct', query: 'SELECT DISTINCT region, customer_id FROM orders' },
  {
    name: 'union_all',
    query:
      "SELECT id AS k, region AS label FROM orders WHERE amount < 30 UNION ALL SELECT id, name FROM customers WHERE tier = 'gold'",
  },
];

/** A small deterministic generator (mulberry32), so a failing seed can be replayed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REGIONS = ['north', 'south', 'east', 'west', 'middle'];
const TIERS = ['gold', 'silver', 'bronze'];

function sqlValue(value: string | number | null): string {
  if (value === null) return 'NULL';
  return typeof value === 'number' ? String(value) : `'${value}'`;
}

/** One round of writes: inserts (NULLs, duplicates), updates that move rows between groups and join keys, deletes (whole groups too). */
function workload(random: () => number, round: number): string[] {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const maybeNull = <T>(value: T): T | null => (random() < 0.15 ? null : value);
  const id = () => 1 + Math.floor(random() * 60);
  const statements: string[] = [];
  const operations = 4 + Math.floor(random() * 10);
  for (let i = 0; i < operations; i += 1) {
    const roll = random();
    if (roll < 0.3) {
      const values = [
        id(),
        maybeNull(1 + Math.floor(random() * 12)),
        maybeNull(pick(REGIONS)),
        maybeNull(Math.floor(random() * 60)),
        `r${round}`,
      ];
      statements.push(
        `INSERT INTO orders (id, customer_id, region, amount, note) VALUES (${values.map(sqlValue).join(', ')})`,
      );
    } else if (roll < 0.38) {
      statements.push(
        `INSERT INTO orders (id, customer_id, region, amount, note) SELECT id, customer_id, region, amount, note FROM orders WHERE id = ${id()}`,
      );
    } else if (roll < 0.5) {
      statements.push(
        `UPDATE orders SET amount = ${sqlValue(maybeNull(Math.floor(random() * 60)))} WHERE id = ${id()}`,
      );
    } else if (roll < 0.58) {
      statements.push(`UPDATE orders SET region = ${sqlValue(maybeNull(pick(REGIONS)))} WHERE id = ${id()}`);
    } else if (roll < 0.66) {
      statements.push(
        `UPDATE orders SET customer_id = ${sqlValue(maybeNull(1 + Math.floor(random() * 12)))} WHERE id = ${id()}`,
      );
    } else if (roll < 0.78) {
      statements.push(`DELETE FROM orders WHERE id = ${id()}`);
    } else if (roll < 0.81) {
      statements.push(`DELETE FROM orders WHERE region = '${pick(REGIONS)}'`);
    } else if (roll < 0.87) {
      statements.push(
        `INSERT INTO customers (id, name, tier) VALUES (${1 + Math.floor(random() * 12)}, ${sqlValue(maybeNull(`c${Math.floor(random() * 100)}`))}, '${pick(TIERS)}')`,
      );
    } else if (roll < 0.94) {
      statements.push(
        `UPDATE customers SET tier = '${pick(TIERS)}', name = ${sqlValue(maybeNull(`c${Math.floor(random() * 100)}`))} WHERE id = ${1 + Math.floor(random() * 12)}`,
      );
    } else {
      statements.push(`DELETE FROM customers WHERE id = ${1 + Math.floor(random() * 12)}`);
    }
  }
  return statements;
}

/** Rows as sorted canonical strings; numbers to 9 significant digits, so an average computed from sums compares. */
function canonical(rows: readonly (readonly unknown[])[]): string[] {
  const cell = (value: unknown) => {
    if (value === null || value === undefined) return 'null';
    const number =
      typeof value === 'number'
        ? value
        : typeof value === 'bigint'
          ? Number(value)
          : typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)
            ? Number(value)
            : NaN;
    return Number.isNaN(number) ? JSON.stringify(value) : String(Number(number.toPrecision(9)));
  };
  return rows.map((row) => row.map(cell).join('|')).sort();
}

async function rows(engine: Engine, sql: string): Promise<string[]> {
  return canonical(rowsOf(await engine.execute(sql, { rowLimit: 1_000_000 })));
}

async function createDynamicTable(engine: Engine, name: string, query: string): Promise<IncrementalRefreshSpec> {
  const planned = planIncremental(query, engine.dialect);
  assert.ok(planned.incremental, `${name}: ${planned.incremental ? '' : planned.detail}`);
  const columns = await engine.describeQuery(query);
  const table: TableRef = { database: null, name };
  await engine.createTable({ table, columns: columns.map((c) => ({ ...c, nullable: true })), primaryKey: null });
  return {
    table,
    query,
    columns: columns.map((c) => ({ target: c.name, source: c.name })),
    partition: null,
    plan: planned.plan,
    sources: planned.plan.sources.map((parts) => ({
      database: parts.length > 1 ? (parts[0] ?? null) : null,
      name: parts[parts.length - 1] ?? '',
    })),
  };
}

async function createSources(engine: Engine, random: () => number): Promise<void> {
  await engine.execute(
    'CREATE TABLE orders (id INTEGER, customer_id INTEGER, region TEXT, amount INTEGER, note TEXT)',
    { rowLimit: 1 },
  );
  await engine.execute('CREATE TABLE customers (id INTEGER, name TEXT, tier TEXT)', { rowLimit: 1 });
  const orders: string[] = [];
  for (let i = 0; i < 120; i += 1) {
    const region = random() < 0.1 ? 'NULL' : `'${REGIONS[i % REGIONS.length]}'`;
    const amount = random() < 0.1 ? 'NULL' : String(Math.floor(random() * 60));
    orders.push(`(${1 + (i % 60)}, ${1 + (i % 12)}, ${region}, ${amount}, 'seed')`);
  }
  await engine.execute(`INSERT INTO orders (id, customer_id, region, amount, note) VALUES ${orders.join(', ')}`, {
    rowLimit: 1,
  });
  const customers = Array.from({ length: 10 }, (_, i) => `(${i + 1}, 'c${i}', '${TIERS[i % TIERS.length]}')`);
  await engine.execute(`INSERT INTO customers (id, name, tier) VALUES ${customers.join(', ')}`, { rowLimit: 1 });
}

for (const subject of SUBJECTS) {
  describe(`incremental refresh equals full recomputation (${subject.kind})`, function () {
    this.timeout(240_000);
    let engine: Engine;
    let tearDown: () => Promise<void>;
    let currentUrl = '';
    let currentBaseDir = '';

    beforeEach(async () => {
      const setUp = await subject.setUp();
      tearDown = setUp.tearDown;
      currentUrl = setUp.url;
      currentBaseDir = setUp.baseDir;
      engine = createEngine(setUp.url, { baseDir: setUp.baseDir });
      await engine.open();
    });

    afterEach(async () => {
      await engine.close();
      await tearDown();
    });

    for (const seed of [1, 2, 3]) {
      it(`keeps every query shape equal to its query under random writes (seed ${seed})`, async () => {
        const random = generator(seed);
        await createSources(engine, random);
        const tables = [];
        for (const { name, query } of QUERIES) {
          const spec = await createDynamicTable(engine, `dt_${name}`, query);
          const first = await engine.incremental!.refresh(spec);
          assert.equal(first.action, 'FULL', `${name}: the first refresh builds the table`);
          tables.push(spec);
        }
        const actions = new Map<string, Set<string>>();
        for (let round = 0; round < 25; round += 1) {
          for (const statement of workload(random, round)) await engine.execute(statement, { rowLimit: 1 });
          for (const spec of tables) {
            const outcome: RefreshOutcome = await engine.incremental!.refresh(spec);
            assert.notEqual(
              outcome.action,
              'FULL',
              `${spec.table.name} fell back to a full refresh in round ${round}: ${outcome.actionDetail ?? ''}`,
            );
            actions.set(spec.table.name, (actions.get(spec.table.name) ?? new Set()).add(outcome.action ?? 'FULL'));
            const expected = await rows(engine, spec.query);
            const actual = await rows(engine, `SELECT * FROM ${spec.table.name}`);
            assert.deepEqual(actual, expected, `${spec.table.name} after round ${round} (seed ${seed})`);
          }
        }
        for (const spec of tables)
          assert.ok(actions.get(spec.table.name)?.has('INCREMENTAL'), `${spec.table.name} was refreshed incrementally`);
      });
    }

    it('leaves table and watermark consistent when the process is killed during an incremental refresh', async () => {
      const setUpUrl = currentUrl;
      await engine.execute('CREATE TABLE big (id INTEGER, g INTEGER, x INTEGER)', { rowLimit: 1 });
      await engine.execute(
        'INSERT INTO big (id, g, x) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 150000) SELECT i, i % 100, i % 1000 FROM s',
        { rowLimit: 1 },
      );
      const shapes = [
        {
          spec: await createDynamicTable(engine, 'killed_bag', 'SELECT id, x FROM big WHERE x < 900'),
          checksum: 'SELECT COUNT(*), SUM(x), SUM(id) FROM ',
        },
        {
          spec: await createDynamicTable(
            engine,
            'killed_groups',
            'SELECT g, COUNT(*) AS n, SUM(x) AS sx, MIN(x) AS lo FROM big GROUP BY g',
          ),
          checksum: 'SELECT COUNT(*), SUM(n), SUM(sx), SUM(lo) FROM ',
        },
      ];
      for (const { spec } of shapes) assert.equal((await engine.incremental!.refresh(spec)).action, 'FULL');
      await engine.execute('UPDATE big SET x = x + 1, g = g + 1 WHERE id % 3 <> 0', { rowLimit: 1 });
      await engine.execute('DELETE FROM big WHERE id % 7 = 0', { rowLimit: 1 });
      for (const { spec, checksum } of shapes) {
        const before = await rows(engine, `${checksum}${spec.table.name}`);
        const after = await rows(engine, `${checksum}(${spec.query}) AS q`);
        const child = spawn(
          process.execPath,
          [
            path.join(__dirname, 'helpers', 'incremental-refresh-child.js'),
            setUpUrl,
            currentBaseDir,
            JSON.stringify(spec),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
        const started = () => `the child to start refreshing (child said: ${output.trim()})`;
        await waitUntil(() => output.includes('refreshing'), { timeoutMs: 30_000, intervalMs: 5, what: started });
        await sleep(150);
        child.kill('SIGKILL');
        await exited;
        assert.ok(
          output.includes('refreshing') && !output.includes('done'),
          `the kill came mid-refresh (child said: ${output.trim()})`,
        );
        const now = await rows(engine, `${checksum}${spec.table.name}`);
        assert.ok(
          JSON.stringify(now) === JSON.stringify(before) || JSON.stringify(now) === JSON.stringify(after),
          `${spec.table.name} is either old or new after the kill`,
        );
        const next = await engine.incremental!.refresh(spec);
        assert.notEqual(next.action, 'FULL', `the watermark survived the kill: ${next.actionDetail ?? ''}`);
        assert.deepEqual(await rows(engine, `SELECT * FROM ${spec.table.name}`), await rows(engine, spec.query));
      }
    });

    it('refreshes a table over a view fully each time, saying why, and keeps it right', async () => {
      await createSources(engine, generator(7));
      await engine.execute('CREATE VIEW cheap_orders AS SELECT id, amount FROM orders WHERE amount < 30', {
        rowLimit: 1,
      });
      const spec = await createDynamicTable(engine, 'from_view', 'SELECT id, amount FROM cheap_orders');
      for (let round = 0; round < 2; round += 1) {
        const outcome = await engine.incremental!.refresh(spec);
        assert.equal(outcome.action, 'FULL');
        assert.match(outcome.actionDetail ?? '', /view/);
        assert.deepEqual(await rows(engine, 'SELECT * FROM from_view'), await rows(engine, spec.query));
        await engine.execute('UPDATE orders SET amount = 1 WHERE id = 2', { rowLimit: 1 });
      }
    });

    it('records NO_DATA and writes nothing when no source changed', async () => {
      await createSources(engine, generator(9));
      const spec = await createDynamicTable(engine, 'quiet', QUERIES[0]?.query ?? '');
      await engine.incremental!.refresh(spec);
      const again = await engine.incremental!.refresh(spec);
      assert.deepEqual(
        { action: again.action, rowsWritten: again.rowsWritten, rowsDeleted: again.rowsDeleted },
        { action: 'NO_DATA', rowsWritten: 0, rowsDeleted: 0 },
      );
      // A change to a source the query does not read is not a change of this table.
      await engine.execute("INSERT INTO customers (id, name, tier) VALUES (99, 'x', 'gold')", { rowLimit: 1 });
      assert.equal((await engine.incremental!.refresh(spec)).action, 'NO_DATA');
    });

    it('counts the rows an incremental refresh inserted and deleted', async () => {
      await createSources(engine, generator(4));
      const spec = await createDynamicTable(engine, 'counted', 'SELECT id, amount FROM orders WHERE amount >= 0');
      await engine.incremental!.refresh(spec);
      await engine.execute(
        'INSERT INTO orders (id, customer_id, region, amount, note) VALUES (500, 1, NULL, 5, NULL), (501, 1, NULL, 6, NULL)',
        { rowLimit: 1 },
      );
      await engine.execute('UPDATE orders SET amount = 7 WHERE id = 500', { rowLimit: 1 });
      const outcome = await engine.incremental!.refresh(spec);
      assert.deepEqual(
        { action: outcome.action, rowsWritten: outcome.rowsWritten, rowsDeleted: outcome.rowsDeleted },
        { action: 'INCREMENTAL', rowsWritten: 2, rowsDeleted: 0 },
      );
      await engine.execute('DELETE FROM orders WHERE id = 501', { rowLimit: 1 });
      const removed = await engine.incremental!.refresh(spec);
      assert.deepEqual(
        { rowsWritten: removed.rowsWritten, rowsDeleted: removed.rowsDeleted },
        { rowsWritten: 0, rowsDeleted: 1 },
      );
    });

    it('recomputes fully, saying why, when the table was changed behind its back', async () => {
      await createSources(engine, generator(5));
      const spec = await createDynamicTable(engine, 'tampered', 'SELECT id, amount FROM orders');
      await engine.incremental!.refresh(spec);
      await engine.execute('DELETE FROM tampered', { rowLimit: 1 });
      await engine.execute('DELETE FROM orders WHERE id = 1', { rowLimit: 1 });
      const outcome = await engine.incremental!.refresh(spec);
      assert.equal(outcome.action, 'FULL');
      assert.match(outcome.actionDetail ?? '', /lacked \d+ of the \d+ rows/);
      assert.deepEqual(await rows(engine, 'SELECT * FROM tampered'), await rows(engine, spec.query));
    });

    it('removes change capture with the last table that needs it', async () => {
      await createSources(engine, generator(6));
      const a = await createDynamicTable(engine, 'first_reader', 'SELECT id FROM orders');
      const b = await createDynamicTable(engine, 'second_reader', 'SELECT id, amount FROM orders WHERE amount > 3');
      await engine.incremental!.refresh(a);
      await engine.incremental!.refresh(b);
      const changelogs = async () =>
        (
          await rows(
            engine,
            subject.kind === 'sqlite'
              ? "SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE '__freshet_changes_%'"
              : "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '\\_\\_freshet\\_changes\\_%'",
          )
        ).length;
      assert.equal(await changelogs(), 1, 'one changelog for the shared source');
      await engine.dropTable(a.table);
      assert.equal(await changelogs(), 1, 'kept while another table reads the source');
      await engine.dropTable(b.table);
      assert.equal(await changelogs(), 0, 'removed with the last reader');
    });
  });
}
