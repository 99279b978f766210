/** The streaming part of the engine conformance suite (see `conformance.ts`): rows moving between catalogs. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FreshetError } from '../errors';
import type { ConformanceContext } from './conformance-harness';
import { rejectsWith, rowsOf } from './conformance-harness';
import type { Engine, RowBatch, TableDefinition } from './engine';
import { createEngine } from './registry';

const SQLITE_COLUMNS = [
  { name: 'id', type: 'INTEGER', nullable: false },
  { name: 'day', type: 'TEXT', nullable: true },
];

/** The table rows are copied into, and how the parts read, load and look at rows. */
function streamingHelpers({ harness, engine, run }: ConformanceContext) {
  const { ddl } = harness;
  const copy: TableDefinition = {
    table: { database: null, name: 'events_copy' },
    columns: [
      { name: 'id', type: ddl.integer, nullable: false },
      { name: 'day', type: ddl.key, nullable: true },
    ],
    primaryKey: ['id'],
  };
  const streaming = (source: Engine) => {
    assert.ok(source.streaming, `the ${source.name} engine streams rows`);
    return source.streaming;
  };
  const read = (source: Engine, filter: Record<string, string> | null = null, batchRows = 3) =>
    streaming(source).readBatches({ query: 'SELECT id, day FROM events', columns: ['id', 'day'], filter, batchRows });
  const load = (batches: AsyncIterable<RowBatch>, partition: Record<string, string> | null = null) =>
    streaming(engine()).replaceFromBatches({ definition: copy, partition }, batches);
  const copied = async () => rowsOf(await run('SELECT id, day FROM events_copy ORDER BY id'));
  return { copy, streaming, read, load, copied };
}

type StreamingHelpers = ReturnType<typeof streamingHelpers>;

/** Registers the tests of {@link RowStreaming}, for an engine that declares it. */
export function registerStreamingConformance(context: ConformanceContext): void {
  const { harness, engine, run } = context;
  const { ddl } = harness;
  describe('streaming between catalogs', function () {
    const helpers = streamingHelpers(context);
    const { copy } = helpers;

    before(async function () {
      await run(`CREATE TABLE events (id ${ddl.integer} PRIMARY KEY, day ${ddl.key})`);
      const days = `(1, 'mon'), (2, 'mon'), (3, 'tue'), (4, 'tue'), (5, 'wed'), (6, 'wed'), (7, 'wed')`;
      await run(`INSERT INTO events VALUES ${days}`);
    });

    beforeEach(async function () {
      await engine().dropTable(copy.table);
      await engine().createTable(copy);
    });

    registerReadParts(context, helpers);
    registerLoadParts(context, helpers);
  });
}

function registerReadParts({ engine, run }: ConformanceContext, { read }: StreamingHelpers): void {
  const batchesTitle = 'declares streaming and reads a query in batches of at most batchRows, or one partition of it';
  it(batchesTitle, async function () {
    assert.ok(engine().streaming);
    const sizes: number[] = [];
    for await (const batch of read(engine())) sizes.push(batch.length);
    assert.deepEqual(sizes, [3, 3, 1]);
    const tuesday: unknown[] = [];
    for await (const batch of read(engine(), { day: 'tue' })) tuesday.push(...batch);
    assert.deepEqual(tuesday, [
      [3, 'tue'],
      [4, 'tue'],
    ]);
  });

  it('leaves the engine usable when a reader stops after the first batch', async function () {
    for await (const batch of read(engine(), null, 2)) {
      assert.equal(batch.length, 2);
      break;
    }
    await engine().ping();
    assert.deepEqual(rowsOf(await run('SELECT count(*) FROM events')), [[7]]);
  });
}

function registerLoadParts({ harness, engine, run }: ConformanceContext, helpers: StreamingHelpers): void {
  const { messagePrefix } = harness;
  const { copy, streaming, read, load, copied } = helpers;
  it('replaces a table, then one partition, with streamed rows and counts them', async function () {
    assert.deepEqual(await load(read(engine())), { rowsWritten: 7, rowsDeleted: 0 });
    assert.deepEqual(await load(read(engine())), { rowsWritten: 7, rowsDeleted: 7 });
    const described = await engine().describeTable(copy.table);
    assert.deepEqual(described?.primaryKey, ['id'], 'the table keeps its primary key');
    await run(`UPDATE events SET id = id + 100 WHERE day = 'tue'`);
    try {
      const outcome = await load(read(engine(), { day: 'tue' }), { day: 'tue' });
      assert.deepEqual(outcome, { rowsWritten: 2, rowsDeleted: 2 });
      assert.deepEqual(
        (await copied()).map((row) => row[0]),
        [1, 2, 5, 6, 7, 103, 104],
      );
    } finally {
      await run(`UPDATE events SET id = id - 100 WHERE day = 'tue'`);
    }
  });

  const failureTitle =
    'keeps the old rows, and leaves no stage behind, when the stream fails or breaks the primary key';
  it(failureTitle, async function () {
    await load(read(engine()));
    const sourceFailure = new FreshetError('ENGINE_ERROR', 'source went away');
    async function* failing(): AsyncIterable<RowBatch> {
      yield [[1, 'x']];
      throw sourceFailure;
    }
    await assert.rejects(load(failing()), (error: unknown) => error === sourceFailure);
    async function* duplicates(): AsyncIterable<RowBatch> {
      yield [
        [1, 'a'],
        [1, 'b'],
      ];
    }
    await rejectsWith(load(duplicates()), 'VALIDATION_ERROR', messagePrefix);
    assert.equal((await copied()).length, 7);
    assert.ok(!(await engine().listTables()).some((t) => t.name.startsWith('__freshet')));
  });

  it('exchanges rows with a SQLite catalog in both directions', async function () {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'freshet-conformance-'));
    const sqlite = createEngine('sqlite:other.sqlite', { baseDir: folder });
    try {
      await sqlite.open();
      const sqliteCopy = { ...copy, columns: SQLITE_COLUMNS };
      await sqlite.createTable(sqliteCopy);
      const into = { definition: sqliteCopy, partition: null };
      const intoSqlite = await streaming(sqlite).replaceFromBatches(into, read(engine()));
      assert.deepEqual(intoSqlite, { rowsWritten: 7, rowsDeleted: 0 });
      await sqlite.execute(`CREATE TABLE events (id INTEGER PRIMARY KEY, day TEXT)`, { rowLimit: 1 });
      await sqlite.execute(`INSERT INTO events SELECT id + 10, day FROM events_copy`, { rowLimit: 1 });
      assert.deepEqual(await load(read(sqlite)), { rowsWritten: 7, rowsDeleted: 0 });
      assert.deepEqual(
        (await copied()).map((row) => row[0]),
        [11, 12, 13, 14, 15, 16, 17],
      );
    } finally {
      await sqlite.close();
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
}
