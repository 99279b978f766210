/**
 * Runs the statements about the source registry: SHOW SOURCES, SHOW PARTITIONS OF, SHOW READINESS OF and ALTER
 * SOURCE … SET. A dynamic table answers SHOW READINESS as the source of its lower-cased identifier (dynamic tables
 * register themselves under it); one that has not registered yet is not ready, the whole interval a gap.
 */
import { FreshetError } from '../../errors';
import { likeMatcher } from '../../sql/like';
import type { LiteralText, ObjectName, RegistryStatement, ShowReadiness, SourcePosition } from '../../sql/statements';
import type { DynamicTableManager } from '../dynamic-table-manager';
import type { NameDefaults } from '../identifiers';
import type { ReadinessAnswer, SourceRegistry } from './source-registry';

export type RegistryResult =
  | {
      readonly kind: 'rows';
      readonly columns: readonly string[];
      readonly rows: ReadonlyArray<readonly unknown[]>;
      readonly truncated?: boolean;
      readonly message?: string;
    }
  | { readonly kind: 'ok'; readonly message: string };

/** What the statements need besides the registry. */
interface RegistryStatementContext {
  readonly registry: SourceRegistry;
  /** The catalog key (lower-cased identifier) of the dynamic table a user's text names; throws when none. */
  readonly tableKey: (text: string, ns: NameDefaults) => Promise<string>;
  /** Most rows a statement returns. */
  readonly rowLimit: number;
}

const READINESS_COLUMNS = ['source', 'start', 'end', 'ready', 'ready_through', 'covered', 'gaps', 'locked'];

/** Runs one registry statement; `rowLimit` caps the rows it returns. */
export async function runRegistryStatement(
  manager: DynamicTableManager,
  rowLimit: number,
  statement: RegistryStatement,
  ns: NameDefaults,
): Promise<RegistryResult> {
  const tableKey = async (text: string, where: NameDefaults) => (await manager.getTable(text, where)).key;
  const context = { registry: manager.registry, tableKey, rowLimit };
  try {
    return await run(context, statement, ns);
  } catch (error) {
    throw placed(error, statement);
  }
}

async function run(
  { registry, tableKey, rowLimit }: RegistryStatementContext,
  statement: RegistryStatement,
  ns: NameDefaults,
): Promise<RegistryResult> {
  switch (statement.kind) {
    case 'showSources': {
      const pattern = statement.like === null ? null : likeMatcher(statement.like);
      const sources = (await registry.listSources()).filter((s) => pattern === null || pattern.matches(s.name));
      return {
        kind: 'rows',
        columns: ['name', 'kind', 'owner', 'catalog', 'table', 'time_zone', 'options', 'providers', 'partitions'],
        rows: sources.map((s) => [
          s.name,
          s.kind,
          s.owner,
          s.catalogName,
          s.tableName,
          s.timeZone,
          JSON.stringify(s.options),
          s.providers,
          s.partitions,
        ]),
      };
    }
    case 'showPartitions': {
      const between = statement.between;
      const { partitions, total } = await registry.partitionsOf(nameOf(statement.name), {
        offset: 0,
        limit: rowLimit,
        ...(between === null ? {} : { start: between.start.value, end: between.end.value }),
      });
      return {
        kind: 'rows',
        columns: ['id', 'provider', 'start', 'end', 'state', 'state_since'],
        rows: partitions.map((p) => [p.id, p.provider, p.start, p.end, p.state, p.stateSince]),
        ...(total > partitions.length ? { truncated: true } : {}),
      };
    }
    case 'showReadiness': {
      const answer = await readinessOf(registry, tableKey, statement, ns);
      return {
        kind: 'rows',
        columns: READINESS_COLUMNS,
        rows: [
          [
            answer.source,
            answer.start,
            answer.end,
            answer.ready,
            answer.readyThrough,
            JSON.stringify(answer.covered),
            JSON.stringify(answer.gaps),
            JSON.stringify(answer.locked),
          ],
        ],
        message: describeReadiness(answer),
      };
    }
    case 'alterSource': {
      const source = await registry.setOptions(nameOf(statement.name), statement.options);
      return {
        kind: 'ok',
        message: `Source ${source.name} altered; options are now ${JSON.stringify(source.options)}.`,
      };
    }
  }
}

async function readinessOf(
  registry: SourceRegistry,
  tableKey: RegistryStatementContext['tableKey'],
  statement: ShowReadiness,
  ns: NameDefaults,
): Promise<ReadinessAnswer> {
  const written = nameOf(statement.name);
  const { start, end } = statement;
  if ((await registry.findSource(written)) !== null) return registry.readiness(written, start.value, end.value);
  let key: string;
  try {
    key = await tableKey(written, ns);
  } catch (error) {
    if (!(error instanceof FreshetError) || error.code === 'INTERNAL') throw error;
    throw new FreshetError('NOT_FOUND', `${written} is neither a registered source nor a dynamic table.`);
  }
  if ((await registry.findSource(key)) !== null) return registry.readiness(key, start.value, end.value);
  return registry.unregisteredReadiness(key, start.value, end.value);
}

function describeReadiness(answer: ReadinessAnswer): string {
  const interval = `[${answer.start}, ${answer.end}) of ${answer.source}`;
  if (answer.ready) return `${interval} is ready.`;
  const why = [
    answer.gaps.length > 0 ? `${answer.gaps.length} gap(s), the first [${answer.gaps[0]?.join(', ')})` : '',
    answer.locked.length > 0 ? `${answer.locked.length} locked partition(s)` : '',
  ].filter((part) => part !== '');
  return `${interval} is not ready: ${why.join('; ')}.`;
}

function nameOf(name: ObjectName): string {
  return name.parts.join('.');
}

/** An error without a place gets the place of what it is about: an instant's literal, else the name. */
function placed(error: unknown, statement: RegistryStatement): unknown {
  if (!(error instanceof FreshetError) || error.line !== undefined) return error;
  const literals: Record<string, LiteralText | undefined> =
    statement.kind === 'showReadiness'
      ? { start: statement.start, end: statement.end }
      : statement.kind === 'showPartitions'
        ? { start: statement.between?.start, end: statement.between?.end }
        : {};
  const field = /^(start|end):/.exec(error.message)?.[1];
  const at: SourcePosition | undefined =
    (field !== undefined ? literals[field]?.position : undefined) ??
    ('name' in statement ? statement.name.position : undefined);
  if (at === undefined) return error;
  return new FreshetError(error.code, error.message, {
    line: at.line,
    column: at.column,
    details: error.details,
    cause: error,
  });
}
