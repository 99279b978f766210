/**
 * The refresh ledger part of the engine conformance suite (see `conformance.ts`): every way an engine writes a
 * dynamic table records the refresh's id and outcome with the rows, only the latest per table is kept, a refresh
 * that failed records nothing, and the ledger is none of the tables a user sees.
 */
import assert from 'node:assert/strict';
import { planIncremental } from '../sql/incremental-plan';
import type { ConformanceContext } from './conformance-harness';
import { rejectsWith, rowsOf } from './conformance-harness';
import type { Engine, RefreshLedger, RefreshSpec, TableDefinition, TableRef } from './engine';

const table = (name: string): TableRef => ({ database: null, name });

/** Rows 1..n labelled `label`, as `(id, v)`. */
function numbers(n: number, label: string): string {
  const rows = `WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n})`;
  return `${rows} SELECT i AS id, '${label}' AS v FROM s`;
}

const spec = (target: TableRef, query: string, refreshId?: string): RefreshSpec => ({
  table: target,
  query,
  columns: [
    { target: 'id', source: 'id' },
    { target: 'v', source: 'v' },
  ],
  partition: null,
  ...(refreshId === undefined ? {} : { refreshId }),
});

function ledgerOf(engine: Engine): RefreshLedger {
  assert.ok(engine.ledger, `the ${engine.name} engine keeps a refresh ledger`);
  return engine.ledger;
}

/** Registers the ledger's tests for an engine that declares one (see {@link Engine.ledger}). */
export function registerLedgerConformance(context: ConformanceContext): void {
  const { harness, engine, run } = context;
  const definition = (name: string): TableDefinition => ({
    table: table(name),
    columns: [
      { name: 'id', type: harness.ddl.integer, nullable: false },
      { name: 'v', type: harness.ddl.text, nullable: true },
    ],
    primaryKey: ['id'],
  });
  const committed = (name: string, refreshId: string) => ledgerOf(engine()).committed(table(name), refreshId);

  describe('refresh ledger', function () {
    const fullTitle = 'records a full refresh with its outcome, keeps only the latest per table, nothing for a failure';
    it(fullTitle, async () => {
      const dt = table('ledger_full');
      await engine().createTable(definition(dt.name));
      assert.equal(await committed(dt.name, 'r1'), null, 'nothing recorded before any refresh');
      const first = await engine().refresh(spec(dt, numbers(3, 'a'), 'r1'));
      assert.deepEqual(await committed(dt.name, 'r1'), { ...first, action: 'FULL' });
      assert.equal(await committed(dt.name, 'r0'), null, 'another id did not commit');
      const second = await engine().refresh(spec(dt, numbers(5, 'b'), 'r2'));
      assert.deepEqual(await committed(dt.name, 'r2'), { rowsWritten: 5, rowsDeleted: 3, action: 'FULL' });
      assert.equal(second.rowsWritten, 5);
      assert.equal(await committed(dt.name, 'r1'), null, 'only the latest refresh of a table is kept');
      const duplicates = `SELECT 1 AS id, 'x' AS v UNION ALL SELECT 1, 'y'`;
      await rejectsWith(engine().refresh(spec(dt, duplicates, 'r3')), 'VALIDATION_ERROR');
      assert.equal(await committed(dt.name, 'r3'), null, 'a refresh that failed did not commit');
      assert.notEqual(await committed(dt.name, 'r2'), null);
      await engine().refresh(spec(dt, numbers(1, 'c')));
      assert.notEqual(await committed(dt.name, 'r2'), null, 'a refresh without an id records nothing');
      assert.ok(!(await engine().listTables()).some((t) => t.name.startsWith('__freshet')), 'the ledger is hidden');
      await engine().dropTable(dt);
      assert.equal(await committed(dt.name, 'r2'), null, 'a dropped table forgets its refreshes');
    });

    it('records partition refreshes and rebuilds', async () => {
      const dt = table('ledger_parts');
      await engine().createTable(definition(dt.name));
      await engine().refresh(spec(dt, numbers(4, 'a'), 'p0'));
      const partition = await engine().refresh({ ...spec(dt, numbers(4, 'b'), 'p1'), partition: { v: 'a' } });
      assert.deepEqual(await committed(dt.name, 'p1'), { ...partition, action: 'FULL' });
      const rebuilt = await engine().rebuildTable(definition(dt.name), spec(dt, numbers(2, 'c'), 'b1'));
      assert.deepEqual(await committed(dt.name, 'b1'), { ...rebuilt, action: 'FULL' });
      assert.deepEqual(rowsOf(await run('SELECT count(*) FROM ledger_parts')), [[2]]);
    });

    if (harness.expected.incremental) {
      it('records incremental refreshes, the first (full) one and the ones that apply changes', async () => {
        await run(`CREATE TABLE ledger_src (id ${harness.ddl.integer} PRIMARY KEY, v ${harness.ddl.text})`);
        await run(`INSERT INTO ledger_src VALUES (1, 'a'), (2, 'b')`);
        const dt = table('ledger_inc');
        await engine().createTable(definition(dt.name));
        const query = 'SELECT id, v FROM ledger_src';
        const planned = planIncremental(query, engine().dialect);
        assert.ok(planned.incremental, 'a plain projection is maintained incrementally');
        const incremental = (refreshId: string) =>
          engine().incremental?.refresh({
            ...spec(dt, query, refreshId),
            plan: planned.plan,
            sources: [table('ledger_src')],
          });
        const first = await incremental('i1');
        assert.deepEqual(await committed(dt.name, 'i1'), first);
        await run(`INSERT INTO ledger_src VALUES (3, 'c')`);
        const second = await incremental('i2');
        assert.equal(second?.action, 'INCREMENTAL');
        assert.deepEqual(await committed(dt.name, 'i2'), second);
        await engine().incremental?.release(dt);
      });
    }

    if (harness.expected.streaming) {
      it('records rows streamed in from another catalog, whole table and partition', async () => {
        const dt = table('ledger_copy');
        await engine().createTable(definition(dt.name));
        async function* rows(values: readonly (readonly unknown[])[]) {
          yield values;
        }
        const load = { definition: definition(dt.name), partition: null, refreshId: 's1' };
        const whole = await engine().streaming?.replaceFromBatches(
          load,
          rows([
            [1, 'a'],
            [2, 'b'],
          ]),
        );
        assert.deepEqual(await committed(dt.name, 's1'), { ...whole, action: 'FULL' });
        const part = { ...load, partition: { v: 'a' }, refreshId: 's2' };
        const one = await engine().streaming?.replaceFromBatches(part, rows([[1, 'a']]));
        assert.deepEqual(await committed(dt.name, 's2'), { ...one, action: 'FULL' });
      });
    }
  });
}
