/**
 * Publish guards in the SQLite engine itself: what a guarded refresh reports and leaves behind, and its staged
 * results (Engine.staging), below the gateway.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RefreshSpec, TableRef } from '../src/engine/engine';
import { DEFAULT_GUARDS, type PublishGuards } from '../src/engine/publish-guards';
import { SqliteEngine } from '../src/engine/sqlite/sqlite-engine';
import { rejectsWith, rowsOf } from './helpers/assertions';

const dt: TableRef = { database: null, name: 'dt' };
const COLUMNS = [
  { target: 'day', source: 'day' },
  { target: 'n', source: 'n' },
];

function refresh(query: string, guards: PublishGuards | undefined, extra: Partial<RefreshSpec> = {}): RefreshSpec {
  return {
    table: dt,
    query,
    columns: COLUMNS,
    partition: null,
    refreshId: 'job-1/default.main.dt',
    ...(guards === undefined ? {} : { guards }),
    ...extra,
  };
}

const values = (rows: Array<[string, number | null]>) =>
  rows.map(([day, n]) => `SELECT '${day}' AS day, ${n === null ? 'NULL' : n} AS n`).join(' UNION ALL ');
const EMPTY = `SELECT 'x' AS day, 1 AS n WHERE 0`;

describe('SqliteEngine: publish guards', () => {
  let dir: string;
  let engine: SqliteEngine;
  const rows = async (sql: string) => rowsOf(await engine.execute(sql, { rowLimit: 1000 }));
  const staged = async () =>
    (await rows(`SELECT name FROM sqlite_schema WHERE name LIKE '%staged%' ORDER BY name`)).map((r) => r[0]);

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'freshet-guards-'));
    engine = new SqliteEngine({ path: path.join(dir, 'warehouse.db') });
    await engine.open();
    await engine.createTable({
      table: dt,
      columns: [
        { name: 'day', type: 'TEXT', nullable: false },
        { name: 'n', type: 'INTEGER', nullable: true },
      ],
      primaryKey: null,
    });
    await engine.refresh(
      refresh(
        values([
          ['d1', 1],
          ['d1', 2],
          ['d2', 3],
        ]),
        undefined,
      ),
    );
  });
  afterEach(async () => {
    await engine.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('judges the default guard from the statements’ own counts, and stages a blocked result', async () => {
    const passed = await engine.refresh(refresh(values([['d3', 4]]), DEFAULT_GUARDS));
    assert.deepEqual(passed, {
      rowsWritten: 1,
      rowsDeleted: 3,
      guards: {
        blocked: false,
        results: [{ guard: 'allow_empty', verdict: 'PASSED', observed: 1, expected: '> 0 rows (the table held 3)' }],
        rowsDropped: 0,
      },
    });
    const blocked = await engine.refresh(refresh(EMPTY, DEFAULT_GUARDS, { refreshId: 'job-2/default.main.dt' }));
    assert.equal(blocked.guards?.blocked, true);
    assert.deepEqual([blocked.rowsWritten, blocked.rowsDeleted], [0, 0]);
    assert.match(String(blocked.staged), /^__freshet_staged_dt_[0-9a-f]{12}$/);
    assert.deepEqual(await rows('SELECT day, n FROM dt'), [['d3', 4]], 'the table keeps its rows');
    assert.deepEqual(await staged(), [blocked.staged]);
    assert.ok(!(await engine.listTables()).some((t) => t.name.includes('staged')), 'hidden from listTables');
    assert.equal(await engine.ledger.committed(dt, 'job-2/default.main.dt'), null, 'a blocked refresh is not recorded');
  });

  it('publishes a staged partition in one transaction, recorded in the ledger, and forgets it', async () => {
    const guards = { ...DEFAULT_GUARDS, minRows: 2 };
    const spec = refresh(values([['d1', 9]]), guards, { partition: { day: 'd1' } });
    const blocked = await engine.refresh(spec);
    assert.equal(blocked.guards?.blocked, true);
    assert.deepEqual(blocked.guards?.results[1], {
      guard: 'min_rows',
      verdict: 'BLOCKED',
      observed: 1,
      expected: '≥ 2 rows',
    });
    const stagedName = String(blocked.staged);
    const published = await engine.staging.publish(spec, stagedName);
    assert.deepEqual(published, { rowsWritten: 1, rowsDeleted: 2 });
    assert.deepEqual(await rows('SELECT day, n FROM dt ORDER BY n'), [
      ['d2', 3],
      ['d1', 9],
    ]);
    assert.deepEqual(await staged(), []);
    assert.deepEqual(await engine.ledger.committed(dt, spec.refreshId as string), { ...published, action: 'FULL' });
    await rejectsWith(engine.staging.publish(spec, stagedName), 'INVALID_STATE', /is gone/);
    await engine.staging.discard(dt, stagedName);
    await rejectsWith(engine.staging.discard(dt, 'dt'), 'VALIDATION_ERROR', /not a staged result/);
  });

  it('drops rows, counts NULLs and violations in one pass, and blocks a rebuild without staging it', async () => {
    const guards: PublishGuards = {
      ...DEFAULT_GUARDS,
      maxNullRatio: { n: 0.5 },
      expectations: [
        { name: 'known_day', condition: "day <> 'bad'", onViolation: 'DROP_ROW' },
        { name: 'small', condition: 'n < 10', onViolation: 'WARN' },
      ],
    };
    const outcome = await engine.refresh(
      refresh(
        values([
          ['d1', 1],
          ['bad', 2],
          ['d2', 50],
          ['d3', null],
        ]),
        guards,
      ),
    );
    assert.equal(outcome.guards?.blocked, false);
    assert.deepEqual(
      outcome.guards?.results.map((r) => [r.guard, r.verdict, r.observed]),
      [
        ['allow_empty', 'PASSED', 3],
        ['max_null_ratio.n', 'PASSED', 0.3333],
        ['expect.known_day', 'WARNED', 1],
        ['expect.small', 'WARNED', 2],
      ],
    );
    assert.equal(outcome.rowsWritten, 3);

    const definition = {
      table: dt,
      columns: [
        { name: 'day', type: 'TEXT', nullable: false },
        { name: 'n', type: 'INTEGER', nullable: true },
        { name: 'extra', type: 'INTEGER', nullable: true },
      ],
      primaryKey: null,
    };
    const rebuild = refresh(EMPTY, { ...DEFAULT_GUARDS }, { columns: [...COLUMNS, { target: 'extra', source: 'n' }] });
    const blocked = await engine.rebuildTable(definition, rebuild);
    assert.equal(blocked.guards?.blocked, true);
    assert.equal(blocked.staged, null);
    assert.deepEqual(await rows('SELECT count(*) FROM dt'), [[3]]);
    assert.deepEqual(await staged(), []);
    assert.equal((await engine.describeTable(dt))?.columns.length, 2, 'the old definition stays');
  });

  it('drops the staged results of a table with the table', async () => {
    await engine.refresh(refresh(EMPTY, DEFAULT_GUARDS));
    await engine.refresh(refresh(EMPTY, DEFAULT_GUARDS, { refreshId: 'job-3/default.main.dt' }));
    assert.equal((await staged()).length, 2);
    await engine.dropTable(dt);
    assert.deepEqual(await staged(), []);
  });
});
