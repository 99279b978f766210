/**
 * The publish guards part of the engine conformance suite (see `conformance.ts`): a result is judged before it
 * replaces the table; a blocked one leaves the table as it was and is staged out of sight, for
 * {@link StagedResults.publish} or {@link StagedResults.discard}; DROP ROW, WARN and FAIL REFRESH expectations, null
 * ratios, min_rows and max_row_change_ratio; rows streamed in from another catalog; incremental refreshes, whose
 * blocked changes stay pending.
 */
import assert from 'node:assert/strict';
import { planIncremental } from '../sql/incremental-plan';
import type { ConformanceContext } from './conformance-harness';
import { rejectsWith, rowsOf } from './conformance-harness';
import type { RefreshOutcome, RefreshSpec, RowBatch, StagedResults, TableDefinition, TableRef } from './engine';
import { DEFAULT_GUARDS, type GuardResult, type PublishGuards } from './publish-guards';

const table = (name: string): TableRef => ({ database: null, name });

const guarded = (overrides: Partial<PublishGuards> = {}): PublishGuards => ({ ...DEFAULT_GUARDS, ...overrides });

/** The result of one guard in an outcome's report. */
function resultOf(outcome: RefreshOutcome, guard: string): GuardResult {
  const found = outcome.guards?.results.find((result) => result.guard === guard);
  assert.ok(found, `no ${guard} in ${JSON.stringify(outcome.guards)}`);
  return found;
}

function stagedOf(outcome: RefreshOutcome): string {
  assert.equal(outcome.guards?.blocked, true, JSON.stringify(outcome));
  assert.equal(typeof outcome.staged, 'string', 'a blocked result is staged');
  return outcome.staged ?? '';
}

/** Registers the publish guards' tests. */
export function registerGuardConformance(context: ConformanceContext): void {
  const { harness, engine, run, part } = context;
  const { ddl } = harness;
  const definition = (name: string): TableDefinition => ({
    table: table(name),
    columns: [
      { name: 'id', type: ddl.integer, nullable: false },
      { name: 'v', type: ddl.text, nullable: true },
    ],
    primaryKey: ['id'],
  });
  /** A source table `(id, v)` holding `rows`, and a dynamic table over it holding the same rows. */
  const setUp = async (name: string, rows: string) => {
    await run(`CREATE TABLE ${name}_src (id ${ddl.integer} PRIMARY KEY, v ${ddl.text})`);
    if (rows !== '') await run(`INSERT INTO ${name}_src VALUES ${rows}`);
    const dt = table(name);
    await engine().createTable(definition(name));
    const spec = (guards?: PublishGuards, refreshId?: string): RefreshSpec => ({
      table: dt,
      query: `SELECT id, v FROM ${name}_src`,
      columns: [
        { target: 'id', source: 'id' },
        { target: 'v', source: 'v' },
      ],
      partition: null,
      ...(guards === undefined ? {} : { guards }),
      ...(refreshId === undefined ? {} : { refreshId }),
    });
    await engine().refresh(spec());
    const contents = async () => rowsOf(await run(`SELECT id, v FROM ${name} ORDER BY id`));
    return { dt, spec, contents };
  };
  const staging = (): StagedResults => {
    const { staging } = engine();
    assert.ok(staging, `the ${engine().name} engine keeps staged results`);
    return staging;
  };
  const hidden = async () => {
    const listed = await engine().listTables();
    assert.ok(
      !listed.some((t) => t.name.startsWith('__freshet')),
      `staged results are hidden: ${JSON.stringify(listed)}`,
    );
  };

  describe('publish guards', function () {
    const emptyTitle =
      'blocks an empty result over rows: the table keeps them, the result is staged out of sight, and publishing ' +
      'it puts it in place and records the refresh';
    part(emptyTitle, 'publish-guards', async () => {
      const { dt, spec, contents } = await setUp('g_empty', `(1, 'a'), (2, 'b')`);
      const before = await contents();
      await run('DELETE FROM g_empty_src');
      const blocked = await engine().refresh(spec(DEFAULT_GUARDS, 'ge1'));
      const staged = stagedOf(blocked);
      assert.deepEqual(resultOf(blocked, 'allow_empty'), {
        guard: 'allow_empty',
        verdict: 'BLOCKED',
        observed: 0,
        expected: '> 0 rows (the table held 2)',
      });
      assert.deepEqual(await contents(), before, 'the table kept its rows');
      await hidden();
      assert.equal(await engine().ledger?.committed(dt, 'ge1'), null, 'a blocked refresh is not recorded');

      const published = await staging().publish(spec(undefined, 'ge1'), staged);
      assert.deepEqual([published.rowsWritten, published.rowsDeleted], [0, 2]);
      assert.deepEqual(await contents(), []);
      assert.notEqual(await engine().ledger?.committed(dt, 'ge1'), null, 'the publish is recorded like a refresh');
      await hidden();
      await rejectsWith(staging().publish(spec(undefined, 'ge1'), staged), 'INVALID_STATE', /gone/);
    });

    part('discards a staged result; publishing it afterwards is refused', 'publish-guards', async () => {
      const { spec, contents } = await setUp('g_discard', `(1, 'a')`);
      await run('DELETE FROM g_discard_src');
      const staged = stagedOf(await engine().refresh(spec(DEFAULT_GUARDS, 'gd1')));
      await staging().discard(table('g_discard'), staged);
      await staging().discard(table('g_discard'), staged); // already gone: fine
      await rejectsWith(staging().publish(spec(undefined, 'gd2'), staged), 'INVALID_STATE');
      assert.deepEqual(await contents(), [[1, 'a']]);
      await hidden();
      await rejectsWith(staging().discard(table('g_discard'), 'g_discard'), 'VALIDATION_ERROR', /staged result/);
      assert.deepEqual(await contents(), [[1, 'a']], 'a name that is not a staged result is never dropped');
    });

    part('judges a partition refresh by its own partition', 'publish-guards', async () => {
      const { spec, contents } = await setUp('g_part', `(1, 'a'), (2, 'a'), (3, 'b')`);
      await run(`DELETE FROM g_part_src WHERE v = 'a'`);
      const partition = (value: string, refreshId: string) => ({
        ...spec(DEFAULT_GUARDS, refreshId),
        partition: { v: value },
      });
      const blocked = await engine().refresh(partition('a', 'gp1'));
      const staged = stagedOf(blocked);
      assert.equal(resultOf(blocked, 'allow_empty').expected, '> 0 rows (the table held 2)');
      assert.deepEqual(await contents(), [
        [1, 'a'],
        [2, 'a'],
        [3, 'b'],
      ]);
      const untouched = await engine().refresh(partition('c', 'gp2'));
      assert.equal(untouched.guards?.blocked, false, 'an empty partition may stay empty');
      await staging().publish({ ...spec(undefined, 'gp3'), partition: { v: 'a' } }, staged);
      assert.deepEqual(await contents(), [[3, 'b']], 'only the partition was replaced');
    });

    const expectationsTitle =
      'drops the rows a DROP ROW expectation rejects, warns of WARN ones, and blocks on FAIL REFRESH ones';
    part(expectationsTitle, 'publish-guards', async () => {
      const { spec, contents } = await setUp('g_expect', `(1, 'a')`);
      await run(`INSERT INTO g_expect_src VALUES (2, 'b'), (3, NULL), (4, 'd')`);
      const dropAndWarn = guarded({
        expectations: [
          { name: 'not_four', condition: 'id <> 4', onViolation: 'DROP_ROW' },
          { name: 'has_v', condition: 'v IS NOT NULL', onViolation: 'WARN' },
        ],
      });
      const passed = await engine().refresh(spec(dropAndWarn));
      assert.equal(passed.guards?.blocked, false);
      assert.equal(passed.guards?.rowsDropped, 1);
      assert.equal(passed.rowsWritten, 3, 'dropped rows are not counted as written');
      assert.deepEqual(
        [resultOf(passed, 'expect.not_four').verdict, resultOf(passed, 'expect.not_four').observed],
        ['WARNED', 1],
      );
      assert.deepEqual(
        [resultOf(passed, 'expect.has_v').verdict, resultOf(passed, 'expect.has_v').observed],
        ['WARNED', 1],
      );
      assert.deepEqual(await contents(), [
        [1, 'a'],
        [2, 'b'],
        [3, null],
      ]);

      const fail = guarded({
        expectations: [{ name: 'has_v', condition: 'v IS NOT NULL', onViolation: 'FAIL_REFRESH' }],
      });
      await run(`UPDATE g_expect_src SET v = NULL WHERE id = 1`);
      const blocked = await engine().refresh(spec(fail));
      stagedOf(blocked);
      assert.deepEqual(resultOf(blocked, 'expect.has_v'), {
        guard: 'expect.has_v',
        verdict: 'BLOCKED',
        observed: 2,
        expected: '0 rows breaking it',
      });
      assert.deepEqual((await contents())[0], [1, 'a'], 'the table kept its rows');
      await staging().discard(table('g_expect'), blocked.staged ?? '');
    });

    part('blocks on max_null_ratio, min_rows and max_row_change_ratio', 'publish-guards', async () => {
      const { spec, contents } = await setUp('g_ratio', `(1, 'a'), (2, 'b'), (3, 'c')`);
      await run(`UPDATE g_ratio_src SET v = NULL WHERE id > 1`);
      const nulls = await engine().refresh(spec(guarded({ maxNullRatio: { v: 0.5 } })));
      stagedOf(nulls);
      assert.deepEqual(resultOf(nulls, 'max_null_ratio.v'), {
        guard: 'max_null_ratio.v',
        verdict: 'BLOCKED',
        observed: 0.6667,
        expected: '≤ 0.5',
      });
      await staging().discard(table('g_ratio'), nulls.staged ?? '');
      const few = await engine().refresh(spec(guarded({ minRows: 5 })));
      stagedOf(few);
      assert.deepEqual([resultOf(few, 'min_rows').observed, resultOf(few, 'min_rows').expected], [3, '≥ 5 rows']);
      await staging().discard(table('g_ratio'), few.staged ?? '');
      await run(`INSERT INTO g_ratio_src VALUES (4, 'd'), (5, 'e'), (6, 'f'), (7, 'g')`);
      const jump = await engine().refresh(spec(guarded({ maxRowChangeRatio: 1 })));
      stagedOf(jump);
      assert.equal(resultOf(jump, 'max_row_change_ratio').observed, 1.3333);
      await staging().discard(table('g_ratio'), jump.staged ?? '');
      assert.equal((await contents()).length, 3);
      const enough = await engine().refresh(spec(guarded({ maxRowChangeRatio: 1.5, minRows: 7 })));
      assert.equal(enough.guards?.blocked, false);
      assert.deepEqual(
        enough.guards?.results.map((result) => result.verdict),
        ['PASSED', 'PASSED', 'PASSED'],
      );
      assert.equal((await contents()).length, 7);
    });

    // A blocked rebuild goes with the statement that asked for the new definition, so an engine may keep it
    // (publishing it then replaces the table) or not; either way the table keeps its definition and rows.
    part(
      'keeps the table through a blocked rebuild; a staged one, published, replaces it',
      'publish-guards',
      async () => {
        const { dt, contents } = await setUp('g_rebuild', `(1, 'a')`);
        const wider: TableDefinition = {
          ...definition('g_rebuild'),
          columns: [...definition('g_rebuild').columns, { name: 'w', type: ddl.integer, nullable: true }],
        };
        const rebuild: RefreshSpec = {
          table: dt,
          query: 'SELECT id, v, id AS w FROM g_rebuild_src WHERE id < 0',
          columns: ['id', 'v', 'w'].map((name) => ({ target: name, source: name })),
          partition: null,
          guards: DEFAULT_GUARDS,
          refreshId: 'gr1',
        };
        const blocked = await engine().rebuildTable(wider, rebuild);
        assert.equal(blocked.guards?.blocked, true, JSON.stringify(blocked));
        assert.deepEqual(
          (await engine().describeTable(dt))?.columns.map((column) => column.name),
          ['id', 'v'],
          'the table kept its definition',
        );
        assert.deepEqual(await contents(), [[1, 'a']]);
        if (blocked.staged === null || blocked.staged === undefined) {
          await hidden();
          return;
        }
        await staging().publish({ ...rebuild, guards: undefined }, blocked.staged);
        assert.deepEqual(
          (await engine().describeTable(dt))?.columns.map((column) => column.name),
          ['id', 'v', 'w'],
        );
        assert.deepEqual((await engine().describeTable(dt))?.primaryKey, ['id']);
        assert.deepEqual(await contents(), []);
        await hidden();
      },
    );

    if (harness.expected.streaming) registerLoadGuards(context, definition);
    if (harness.expected.incremental) registerIncrementalGuards(context, setUp);
  });
}

function registerLoadGuards(context: ConformanceContext, definition: (name: string) => TableDefinition): void {
  const { engine, run, part } = context;
  async function* batches(...rows: (readonly unknown[])[]): AsyncIterable<RowBatch> {
    if (rows.length > 0) yield rows;
  }
  const load = (
    rows: AsyncIterable<RowBatch>,
    guards: PublishGuards,
    partition: Record<string, string> | null = null,
  ) => {
    const { streaming } = engine();
    assert.ok(streaming);
    return streaming.replaceFromBatches({ definition: definition('g_load'), partition, guards }, rows);
  };
  const contents = async () => rowsOf(await run('SELECT id, v FROM g_load ORDER BY id'));
  const loadTitle = 'judges rows streamed in from another catalog before the swap; a blocked load stays staged';
  const fresh = async () => {
    await engine().dropTable(table('g_load'));
    await engine().createTable(definition('g_load'));
  };
  it(loadTitle, async () => {
    await fresh();
    const dropping = guarded({ expectations: [{ name: 'no_x', condition: `v <> 'x'`, onViolation: 'DROP_ROW' }] });
    const passed = await load(batches([1, 'a'], [2, 'x'], [3, 'b']), dropping);
    assert.deepEqual([passed.rowsWritten, passed.guards?.rowsDropped, passed.guards?.blocked], [2, 1, false]);
    assert.deepEqual(await contents(), [
      [1, 'a'],
      [3, 'b'],
    ]);
    const blocked = await load(batches(), DEFAULT_GUARDS);
    stagedOf(blocked);
    assert.equal(resultOf(blocked, 'allow_empty').expected, '> 0 rows (the table held 2)');
    const partitionBlocked = await load(batches(), DEFAULT_GUARDS, { v: 'a' });
    stagedOf(partitionBlocked);
    assert.deepEqual(await contents(), [
      [1, 'a'],
      [3, 'b'],
    ]);
    const listed = await engine().listTables();
    assert.ok(!listed.some((t) => t.name.startsWith('__freshet')), 'staged loads are hidden');
    await engine().staging?.discard(table('g_load'), blocked.staged ?? '');
    await engine().staging?.discard(table('g_load'), partitionBlocked.staged ?? '');
  });

  part('publishes a blocked load', 'publish-guards', async () => {
    await fresh();
    await load(batches([1, 'a']), DEFAULT_GUARDS);
    const guards = guarded({ minRows: 3 });
    const blocked = await load(batches([7, 'z']), guards);
    const { staging } = engine();
    assert.ok(staging);
    const spec: RefreshSpec = {
      table: table('g_load'),
      query: 'SELECT id, v FROM g_load',
      columns: [
        { target: 'id', source: 'id' },
        { target: 'v', source: 'v' },
      ],
      partition: null,
      refreshId: 'gl1',
    };
    await staging.publish(spec, stagedOf(blocked));
    assert.deepEqual(await contents(), [[7, 'z']]);
    assert.notEqual(await engine().ledger?.committed(table('g_load'), 'gl1'), null);
  });
}

type SetUp = (
  name: string,
  rows: string,
) => Promise<{ dt: TableRef; spec: (guards?: PublishGuards, refreshId?: string) => RefreshSpec }>;

function registerIncrementalGuards({ engine, run }: ConformanceContext, setUp: SetUp): void {
  const incremental = (spec: RefreshSpec, source: string) => {
    const planned = planIncremental(spec.query, engine().dialect);
    assert.ok(planned.incremental, 'a plain projection is maintained incrementally');
    const maintenance = engine().incremental;
    assert.ok(maintenance);
    return maintenance.refresh({ ...spec, plan: planned.plan, sources: [table(source)] });
  };
  const count = async (name: string) => Number(rowsOf(await run(`SELECT count(*) FROM ${name}`))[0]?.[0]);

  const pendingTitle =
    'rolls back an incremental refresh a guard blocks, so its changes stay pending for the next refresh';
  it(pendingTitle, async () => {
    const { dt, spec } = await setUp('g_inc', `(1, 'a'), (2, 'b'), (3, 'c')`);
    const first = await incremental(spec(DEFAULT_GUARDS), 'g_inc_src');
    assert.equal(first.guards?.blocked, false);
    await run('DELETE FROM g_inc_src');
    const blocked = await incremental(spec(DEFAULT_GUARDS, 'gi1'), 'g_inc_src');
    assert.equal(blocked.action, 'INCREMENTAL');
    assert.equal(blocked.guards?.blocked, true);
    assert.equal(blocked.staged, null, 'the changes stay pending instead of a staged result');
    assert.equal(resultOf(blocked, 'allow_empty').expected, '> 0 rows (the table held 3)');
    assert.equal(await count('g_inc'), 3);
    assert.equal(await engine().ledger?.committed(dt, 'gi1'), null);
    const minRows = await incremental(spec(guarded({ allowEmpty: true, minRows: 1 })), 'g_inc_src');
    assert.deepEqual([minRows.guards?.blocked, resultOf(minRows, 'min_rows').observed], [true, 0]);
    const applied = await incremental(spec(), 'g_inc_src');
    assert.deepEqual([applied.action, applied.rowsDeleted], ['INCREMENTAL', 3]);
    assert.equal(await count('g_inc'), 0);
    await run(`INSERT INTO g_inc_src VALUES (4, NULL)`);
    const nulls = await incremental(spec(guarded({ maxNullRatio: { v: 0.5 } })), 'g_inc_src');
    assert.deepEqual([nulls.action, nulls.guards?.blocked], ['INCREMENTAL', true]);
    assert.equal(await count('g_inc'), 0);
    await engine().incremental?.release(dt);
  });

  it('refreshes a table with DROP ROW expectations fully, and says why', async () => {
    const { dt, spec } = await setUp('g_incdrop', `(1, 'a'), (2, 'x')`);
    const dropping = guarded({ expectations: [{ name: 'no_x', condition: `v <> 'x'`, onViolation: 'DROP_ROW' }] });
    const outcome = await incremental(spec(dropping), 'g_incdrop_src');
    assert.equal(outcome.action, 'FULL');
    assert.match(outcome.actionDetail ?? '', /DROP ROW/);
    assert.deepEqual([outcome.rowsWritten, outcome.guards?.rowsDropped], [1, 1]);
    assert.equal(await count('g_incdrop'), 1);
    await run(`INSERT INTO g_incdrop_src VALUES (3, 'x'), (4, 'd')`);
    const again = await incremental(spec(dropping), 'g_incdrop_src');
    assert.deepEqual([again.action, again.rowsWritten, again.guards?.rowsDropped], ['FULL', 2, 2]);
    await engine().incremental?.release(dt);
  });
}
