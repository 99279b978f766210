/**
 * The fake gateway's statement executor: what one statement does to the fake's catalogs and jobs, and what
 * it answers. INSERT submits a job (batch or streaming by `execution.runtime-mode`, streaming by default as in
 * Flink); queries, DDL and SHOW answer at once. Statements Flink has but the fake does not model fail as "not
 * modelled"; text that is no statement fails as Flink's parser does.
 */
import {
  type FakeCatalogs,
  type FakeColumn,
  type SessionScope,
  notModelled,
  resolveId,
  summaryOf,
} from './flink-fake-catalog';
import {
  OK_RESULT,
  alterTable,
  contentResult,
  createTable,
  createView,
  describe,
  drop,
  relationOf,
  show,
  use,
} from './flink-fake-ddl';
import { java, parseErrorAt, validationAt } from './flink-fake-errors';
import { type FakeJob, type FakeJobs, newJobId } from './flink-fake-jobs';
import { positionAt, runQuery } from './flink-fake-query';
import { Cursor } from './flink-fake-tokens';

export interface FakeResult {
  readonly columns: readonly FakeColumn[];
  readonly rows: readonly (readonly unknown[])[];
  readonly resultKind: 'SUCCESS' | 'SUCCESS_WITH_CONTENT';
  readonly isQueryResult: boolean;
  readonly jobId: string | null;
}

export type StatementOutcome =
  | { readonly kind: 'result'; readonly result: FakeResult }
  | { readonly kind: 'job'; readonly job: FakeJob };

export interface ExecutionContext {
  readonly catalogs: FakeCatalogs;
  readonly jobs: FakeJobs;
  readonly scope: SessionScope;
  /** The session's properties with the statement's execution config over them. */
  readonly properties: Readonly<Record<string, string>>;
  /** The operation's handle, for messages. */
  readonly operation: string;
}

/** Statements `configure-session` accepts (spec lines 113-114). */
const CONFIGURING =
  /^\s*(?:(?:CREATE|DROP|ALTER)\s+(?:TEMPORARY\s+)?(?:TABLE|VIEW|DATABASE|FUNCTION|CATALOG)\b|USE\b|(?:LOAD|UNLOAD)\s+MODULE\b|ADD\s+JAR\b)/i;

export function isConfiguringStatement(statement: string): boolean {
  return CONFIGURING.test(statement);
}

const runtimeMode = (properties: Readonly<Record<string, string>>) =>
  (properties['execution.runtime-mode'] ?? 'streaming').toLowerCase() === 'batch' ? 'batch' : 'streaming';

const result = (value: FakeResult): StatementOutcome => ({ kind: 'result', result: value });

export function executeStatement(statement: string, ctx: ExecutionContext): StatementOutcome {
  const cursor = new Cursor(statement.replace(/[\s;]+$/, ''));
  if (cursor.peekWord('SELECT') || cursor.peekWord('WITH')) return result(query(cursor, ctx));
  if (cursor.acceptWord('INSERT')) return { kind: 'job', job: insert(cursor, ctx) };
  if (cursor.acceptWord('CREATE')) {
    const temporary = cursor.acceptWord('TEMPORARY');
    if (!temporary && cursor.acceptWord('TABLE')) return result(createTable(cursor, ctx));
    if (cursor.acceptWord('VIEW')) return result(createView(cursor, temporary, ctx));
    throw notModelled('this CREATE statement');
  }
  if (cursor.acceptWord('DROP')) return result(drop(cursor, cursor.acceptWord('TEMPORARY'), ctx));
  if (cursor.acceptWord('ALTER', 'TABLE')) return result(alterTable(cursor, ctx));
  if (cursor.acceptWord('DESCRIBE') || cursor.acceptWord('DESC')) return result(describe(cursor, ctx));
  if (cursor.acceptWord('SHOW')) return result(show(cursor, ctx, () => showJobs(ctx)));
  if (cursor.acceptWord('USE')) return result(use(cursor, ctx));
  if (cursor.acceptWord('STOP', 'JOB')) return result(stopJob(cursor, ctx));
  if (
    /^(ALTER|SET|RESET|EXPLAIN|LOAD|UNLOAD|ADD|REMOVE|EXECUTE|BEGIN|END|ANALYZE|CALL|TRUNCATE|DELETE|UPDATE|COMPILE)$/i.test(
      cursor.peek()?.value ?? '',
    )
  ) {
    throw notModelled(`${(cursor.peek()?.value ?? '').toUpperCase()} statements`);
  }
  const first = cursor.peek();
  throw parseErrorAt(first === undefined ? '<EOF>' : cursor.text.slice(first.start, first.end), { line: 1, column: 1 });
}

function query(cursor: Cursor, ctx: ExecutionContext): FakeResult {
  const relation = runQuery(cursor.text, {
    resolve: (parts) => relationOf(parts, ctx),
    statement: cursor.text,
    queryOffset: 0,
  });
  return {
    columns: relation.columns,
    rows: relation.rows,
    resultKind: 'SUCCESS_WITH_CONTENT',
    isQueryResult: true,
    jobId: newJobId(),
  };
}

/** After `INSERT`: `{INTO | OVERWRITE} table [(columns)] query`. */
function insert(cursor: Cursor, ctx: ExecutionContext): FakeJob {
  const overwrite = cursor.acceptWord('OVERWRITE');
  if (!overwrite) cursor.expectWord('INTO');
  const targetStart = cursor.offset;
  const parts = cursor.path();
  const targetEnd = targetStart + cursor.text.slice(targetStart, cursor.offset).trimEnd().length - 1;
  if (cursor.peekWord('PARTITION')) throw notModelled('static PARTITION clauses');
  const listed =
    cursor.peekSymbol('(') && !['SELECT', 'WITH'].includes((cursor.peek(1)?.value ?? '').toUpperCase())
      ? cursor.identifierList()
      : null;
  if (cursor.peekWord('VALUES')) throw notModelled('INSERT … VALUES');
  const queryOffset = cursor.offset;
  const id = resolveId(parts, ctx.scope);
  const sink = ctx.catalogs.get(id);
  if (sink?.kind !== 'table') {
    const [from, to] = [positionAt(cursor.text, targetStart), positionAt(cursor.text, targetEnd)];
    throw validationAt(`Object '${id.name}' not found`, {
      line: from.line,
      column: from.column,
      endLine: to.line,
      endColumn: to.column,
    });
  }
  const relation = runQuery(cursor.text.slice(queryOffset), {
    resolve: (p) => relationOf(p, ctx),
    statement: cursor.text,
    queryOffset,
  });
  const mode = runtimeMode(ctx.properties);
  if (overwrite && mode === 'streaming') throw java.validation('INSERT OVERWRITE is not supported in streaming mode.');
  const targets = listed ?? sink.columns.map((column) => column.name);
  for (const name of targets) {
    if (!sink.columns.some((column) => column.name === name)) throw java.validation(`Unknown target column '${name}'`);
  }
  if (relation.columns.length !== targets.length) {
    const schema = (columns: readonly FakeColumn[]) =>
      `[${columns.map((c) => `${c.name}: ${c.type}${c.nullable ? '' : ' NOT NULL'}`).join(', ')}]`;
    throw java.validation(
      `Column types of query result and sink for '${summaryOf(id)}' do not match.\nCause: Different number of columns.\n\n` +
        `Query schema: ${schema(relation.columns)}\nSink schema:  ${schema(sink.columns)}`,
    );
  }
  const rows = relation.rows.map((row) =>
    sink.columns.map((column) => {
      const index = targets.indexOf(column.name);
      return index < 0 ? null : (row[index] ?? null);
    }),
  );
  return ctx.jobs.submit({
    name: ctx.properties['pipeline.name'] ?? `insert-into_${summaryOf(id)}`,
    mode,
    statement: cursor.text,
    sink: summaryOf(id),
    properties: { ...ctx.properties },
    write: () => {
      const table = ctx.catalogs.get(id);
      if (table?.kind !== 'table') throw java.table(`Table ${summaryOf(id)} was dropped while the job ran.`);
      for (const row of rows) {
        table.columns.forEach((column, index) => {
          if (!column.nullable && row[index] === null) {
            throw java.table(
              `Column '${column.name}' is NOT NULL, however, a null value is being written into it. You can set job configuration ` +
                "'table.exec.sink.not-null-enforcer'='DROP' to suppress this exception and drop such records silently.",
            );
          }
        });
      }
      if (!overwrite) {
        table.rows.push(...rows);
      } else if (table.partitionKeys.length === 0) {
        table.rows = [...rows];
      } else {
        // Dynamic partition overwrite: only the partitions the job writes are replaced.
        const keyIndexes = table.partitionKeys.map((key) => table.columns.findIndex((column) => column.name === key));
        const partitionOf = (row: readonly unknown[]) => JSON.stringify(keyIndexes.map((index) => row[index]));
        const written = new Set(rows.map(partitionOf));
        table.rows = [...table.rows.filter((row) => !written.has(partitionOf(row))), ...rows];
      }
    },
  });
}

function showJobs(ctx: ExecutionContext): FakeResult {
  const columns: FakeColumn[] = [
    { name: 'job id', type: 'STRING', nullable: true },
    { name: 'job name', type: 'STRING', nullable: true },
    { name: 'status', type: 'STRING', nullable: true },
    { name: 'start time', type: 'TIMESTAMP_LTZ(3)', nullable: true },
  ];
  return contentResult(
    columns,
    ctx.jobs.list().map((job) => [job.id, job.name, job.status, job.startTime.toISOString()]),
  );
}

/** After `STOP JOB`: `'<id>' [WITH SAVEPOINT] [WITH DRAIN]` (OperationExecutor#callStopJobOperation). */
function stopJob(cursor: Cursor, ctx: ExecutionContext): FakeResult {
  const jobId = cursor.string();
  const withSavepoint = cursor.acceptWord('WITH', 'SAVEPOINT');
  cursor.acceptWord('WITH', 'DRAIN');
  cursor.expectEnd();
  const failure = (cause: ReturnType<typeof java.runtime>) =>
    java.sqlExecution(
      `Could not stop job ${jobId} ${withSavepoint ? 'with savepoint' : ''} for operation ${ctx.operation}.`,
      cause,
    );
  if (!/^[0-9a-f]{32}$/.test(jobId))
    throw failure(
      java.illegalArgument(
        `Cannot parse JobID from "${jobId}". The expected format is [0-9a-fA-F]{32}, e.g. fd72014d4c864993a2e5a9287b4a9c5d.`,
      ),
    );
  const before = ctx.jobs.stop(jobId, withSavepoint ? 'FINISHED' : 'CANCELED');
  if (before === null) throw failure(java.jobNotFound(`Could not find Flink job (${jobId})`));
  if (before !== 'RUNNING')
    throw failure(java.jobTerminated(`Flink job (${jobId}) was not canceled, but instead ${before}.`));
  return withSavepoint
    ? contentResult(
        [{ name: 'savepoint path', type: 'STRING', nullable: true }],
        [[`file:/tmp/savepoints/savepoint-${jobId.slice(0, 6)}`]],
      )
    : OK_RESULT;
}
