import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { RowBatch, TableDefinition } from '../src/engine/engine';
import { SqliteEngine } from '../src/engine/sqlite/sqlite-engine';
import { FreshetError } from '../src/errors';

describe('SqliteEngine streaming between catalogs', () => {
  let dir: string;
  let source: SqliteEngine;
  let target: SqliteEngine;
  const definition: TableDefinition = {
    table: { database: 'main', name: 'copy' },
    columns: [
      { name: 'id', type: 'INTEGER', nullable: false },
      { name: 'day', type: 'TEXT', nullable: true },
    ],
    primaryKey: ['id'],
  };
  const targetRows = () => {
    const db = new Database(path.join(dir, 'b.db'), { readonly: true });
    try {
      return db.prepare('SELECT id, day FROM copy ORDER BY id').raw(true).all();
    } finally {
      db.close();
    }
  };
  const read = (filter: Record<string, string> | null = null, batchRows = 3) =>
    source.streaming!.readBatches({ query: 'SELECT id, day FROM events', columns: ['id', 'day'], filter, batchRows });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'freshet-stream-'));
    source = new SqliteEngine({ path: path.join(dir, 'a.db') });
    target = new SqliteEngine({ path: path.join(dir, 'b.db') });
    await source.open();
    await target.open();
    await source.execute(`CREATE TABLE events (id INTEGER PRIMARY KEY, day TEXT)`, { rowLimit: 1 });
    await source.execute(
      `INSERT INTO events VALUES (1, 'mon'), (2, 'mon'), (3, 'tue'), (4, 'tue'), (5, 'wed'), (6, 'wed'), (7, 'wed')`,
      { rowLimit: 1 },
    );
    await target.createTable(definition);
  });
  afterEach(async () => {
    await source.close();
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a query in batches of at most batchRows', async () => {
    const sizes: number[] = [];
    for await (const batch of read()) sizes.push(batch.length);
    assert.deepEqual(sizes, [3, 3, 1]);
  });

  it('replaces a table with streamed rows and counts them', async () => {
    const outcome = await target.streaming!.replaceFromBatches({ definition, partition: null }, read());
    assert.deepEqual(outcome, { rowsWritten: 7, rowsDeleted: 0 });
    assert.equal(targetRows().length, 7);
    const again = await target.streaming!.replaceFromBatches({ definition, partition: null }, read());
    assert.deepEqual(again, { rowsWritten: 7, rowsDeleted: 7 });
    assert.deepEqual(
      (await target.describeTable(definition.table))?.primaryKey,
      ['id'],
      'the table keeps its primary key',
    );
  });

  it('replaces only one partition', async () => {
    await target.streaming!.replaceFromBatches({ definition, partition: null }, read());
    await source.execute(`UPDATE events SET id = id + 100 WHERE day = 'tue'`, { rowLimit: 1 });
    const outcome = await target.streaming!.replaceFromBatches(
      { definition, partition: { day: 'tue' } },
      read({ day: 'tue' }),
    );
    assert.deepEqual(outcome, { rowsWritten: 2, rowsDeleted: 2 });
    assert.deepEqual(
      targetRows().map((r) => (r as unknown[])[0]),
      [1, 2, 5, 6, 7, 103, 104],
    );
  });

  it('keeps the old rows when the stream fails part-way, and leaves no stage behind', async () => {
    await target.streaming!.replaceFromBatches({ definition, partition: null }, read());
    async function* failing(): AsyncIterable<RowBatch> {
      yield [[1, 'x']];
      throw new FreshetError('ENGINE_ERROR', 'source went away');
    }
    await assert.rejects(
      target.streaming!.replaceFromBatches({ definition, partition: null }, failing()),
      /source went away/,
    );
    assert.equal(targetRows().length, 7);
    assert.deepEqual(
      (await target.listTables()).map((t) => t.name),
      ['copy'],
    );
  });

  it('keeps the old rows when the streamed rows break the primary key', async () => {
    await target.streaming!.replaceFromBatches({ definition, partition: null }, read());
    async function* duplicates(): AsyncIterable<RowBatch> {
      yield [
        [1, 'a'],
        [1, 'b'],
      ];
    }
    await assert.rejects(
      target.streaming!.replaceFromBatches({ definition, partition: null }, duplicates()),
      (error: unknown) => {
        assert.ok(error instanceof FreshetError);
        assert.equal(error.code, 'VALIDATION_ERROR');
        return true;
      },
    );
    assert.equal(targetRows().length, 7);
  });
});
