/**
 * Statements the gateway does not own run on the engine of the request's catalog, but never write a dynamic
 * table's physical table (Freshet maintains its rows and schema), never drop, rename or alter a table dynamic
 * tables read in a way that breaks one of them (impact.ts), and never reach outside the engine's data (files, other databases, connection state).
 *
 * The engine says what a statement would write or reach, read from what it would execute; the leading keywords
 * are a second check beside it.
 */
import type { Engine, ExecuteOptions, StatementEffects, StatementResult } from '../engine/engine';
import { FreshetError, forbidden, validationError } from '../errors';
import type { PassthroughStatement, SourcePosition } from '../sql/statements';
import { isSymbol, isWord, TokenStream, upperWord } from '../sql/tokenizer';
import { dependantsOf } from './dependencies';
import { type NameDefaults, type ResolvedName, resolveName, resolveObjectName } from './identifiers';
import { impactOf, impactRows, refuseIfBreaking } from './impact';
import type { ManagerParts } from './manager-parts';
import { sourceChangeOf } from './source-change';

export async function runPassthrough(
  parts: ManagerParts,
  statement: PassthroughStatement,
  ns: NameDefaults,
  options: ExecuteOptions,
): Promise<StatementResult> {
  const engine = parts.namespaces.engineOf(ns.catalogName);
  const effects = await inspectPassthrough(parts, statement, ns);
  const checked = new Map<string, ResolvedName>();
  await checkEffects(parts, statement, ns, engine, effects, checked);
  await checkByKeywords(parts, statement, ns, engine, checked);
  const altered = statement.effect === 'alter' ? [...checked.values()][0] : undefined;
  const incremental = engine.incremental;
  if (altered !== undefined && incremental !== undefined) {
    // A source that dynamic tables read may have change capture, which must follow its new columns.
    const table = { database: altered.databaseName, name: altered.tableName };
    return inEngine(statement, () => incremental.alterSource(table, statement.text, options));
  }
  return inEngine(statement, () => engine.execute(statement.text, options));
}

/** What the engine says the statement would do. Runs nothing. */
/**
 * EXPLAIN of a change to a plain table (ALTER, DROP, RENAME TABLE): each dynamic table reading it with the columns
 * it reads, and whether the change would be refused, as running it would decide; the change is not made.
 */
export async function explainTableChange(
  parts: ManagerParts,
  change: PassthroughStatement,
  ns: NameDefaults,
): Promise<Array<[string, string]>> {
  if (change.target === null) {
    throw validationError(`EXPLAIN ${change.verb} TABLE needs the table's name after TABLE.`, {
      line: change.position.line,
      column: change.position.column,
    });
  }
  const name = resolveObjectName(change.target, ns);
  const engine = parts.namespaces.engineOf(name.catalogName);
  const rows: Array<[string, string]> = [['table', name.identifier]];
  if ((await dependantsOf(parts.catalog, name.key)).length === 0) {
    return [...rows, ['dependents', '(none)'], ['schema change', 'allowed']];
  }
  const verb = change.effect === 'drop' ? 'drop' : change.verb === 'RENAME' ? 'rename' : 'alter';
  const impact = await impactOf(parts, await sourceChangeOf(engine, name, change));
  return [...rows, ...impactRows(impact, `${verb} table ${name.identifier}`)];
}

export async function inspectPassthrough(
  parts: ManagerParts,
  statement: PassthroughStatement,
  ns: NameDefaults,
): Promise<StatementEffects> {
  const engine = parts.namespaces.engineOf(ns.catalogName);
  return inEngine(statement, () => engine.inspectStatement(statement.text));
}

/** Refuses what the engine says the statement would do: reach outside, write a dynamic table, reshape a source. */
async function checkEffects(
  parts: ManagerParts,
  statement: PassthroughStatement,
  ns: NameDefaults,
  engine: Engine,
  effects: StatementEffects,
  checked: Map<string, ResolvedName>,
): Promise<void> {
  if (effects.escapes !== null) {
    const { line, column } = statement.position;
    throw forbidden(`${effects.escapes} is not allowed: it reaches outside the engine's data.`, { line, column });
  }
  const at = statement.target?.position ?? statement.position;
  const names = effects.writes.map((table) =>
    resolveName([ns.catalogName, table.database ?? engine.defaultDatabase, table.name], ns),
  );
  for (const name of names) {
    const dynamic = await parts.catalog.getTable(name.key);
    if (dynamic) throw dynamicTableWritten(dynamic.identifier, statement, at);
  }
  if (!reshapesTable(statement)) return;
  for (const name of names) await refuseBreakingChange(parts, engine, name, statement, checked);
}

/** The checks on the leading keywords, beside the engine's own reading of the statement. */
async function checkByKeywords(
  parts: ManagerParts,
  statement: PassthroughStatement,
  ns: NameDefaults,
  engine: Engine,
  checked: Map<string, ResolvedName>,
) {
  if (!statement.target || statement.effect === 'read' || statement.effect === 'other') return;
  const name = resolveObjectName(statement.target, ns);
  const table = await parts.catalog.getTable(name.key);
  if (table && statement.effect !== 'create') {
    throw dynamicTableWritten(table.identifier, statement, statement.target.position);
  }
  if (statement.effect === 'drop' || statement.effect === 'alter') {
    await refuseBreakingChange(parts, engine, name, statement, checked);
  }
}

function dynamicTableWritten(identifier: string, statement: PassthroughStatement, at: SourcePosition): FreshetError {
  return validationError(
    `${identifier} is a dynamic table; Freshet maintains its rows and schema. ` +
      `Use ALTER DYNAMIC TABLE or DROP DYNAMIC TABLE instead of ${writingVerb(statement)}.`,
    { line: at.line, column: at.column },
  );
}

/**
 * Refuses a DROP, ALTER or RENAME of a table that dynamic tables read when it would break one of them (see
 * impact.ts); `checked` collects the tables that such readers have and that the statement may change.
 */
async function refuseBreakingChange(
  parts: ManagerParts,
  engine: Engine,
  name: ResolvedName,
  statement: PassthroughStatement,
  checked: Map<string, ResolvedName>,
): Promise<void> {
  if (checked.has(name.key) || (await dependantsOf(parts.catalog, name.key)).length === 0) return;
  const verb = statement.effect === 'drop' ? 'drop' : statement.verb === 'RENAME' ? 'rename' : 'alter';
  const impact = await impactOf(parts, await sourceChangeOf(engine, name, statement));
  refuseIfBreaking(impact, `${verb} table ${name.identifier}`);
  checked.set(name.key, name);
}

/**
 * DROP TABLE, ALTER TABLE and MySQL's RENAME TABLE: what removes or reshapes a table that dynamic tables may read. (CREATE INDEX or
 * DROP INDEX on such a table also change it, but leave its rows and columns as they are.)
 */
function reshapesTable(statement: PassthroughStatement): boolean {
  if (statement.effect !== 'drop' && statement.effect !== 'alter' && statement.verb !== 'RENAME') return false;
  const tokens = leadingTokens(statement);
  tokens.next();
  return isWord(tokens.peek(), 'TABLE');
}

/** What the statement does, for messages: `INSERT` for `WITH … INSERT`, `CREATE TRIGGER` for a CREATE. */
function writingVerb(statement: PassthroughStatement): string {
  const tokens = leadingTokens(statement);
  tokens.next();
  if (statement.verb === 'CREATE') {
    while (isWord(tokens.peek(), 'TEMP', 'TEMPORARY', 'UNIQUE', 'VIRTUAL')) tokens.next();
    const kind = upperWord(tokens.peek());
    return kind === '' ? 'CREATE' : `CREATE ${kind}`;
  }
  if (statement.verb !== 'WITH') return statement.verb;
  let depth = 0;
  for (let token = tokens.next(); token.kind !== 'end'; token = tokens.next()) {
    if (isSymbol(token, '(')) depth += 1;
    else if (isSymbol(token, ')')) depth -= 1;
    else if (depth === 0 && isWord(token, 'INSERT', 'REPLACE', 'UPDATE', 'DELETE', 'SELECT')) return upperWord(token);
  }
  return statement.verb;
}

function leadingTokens(statement: PassthroughStatement): TokenStream {
  const tokens = new TokenStream(statement.text, statement.position);
  while (isSymbol(tokens.peek(), '(')) tokens.next();
  return tokens;
}

/** Runs an engine call, moving the positions of its errors from the statement to the client's text. */
async function inEngine<T>(statement: PassthroughStatement, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw offsetPosition(error, statement);
  }
}

/** Engine errors carry positions relative to the statement; clients want them relative to what they sent. */
function offsetPosition(error: unknown, statement: PassthroughStatement): unknown {
  if (!(error instanceof FreshetError) || error.line === undefined) return error;
  const line = statement.position.line + error.line - 1;
  const column = error.line === 1 ? statement.position.column + (error.column ?? 1) - 1 : error.column;
  return new FreshetError(error.code, error.message, { line, column, details: error.details, cause: error });
}
