/**
 * The fake gateway's catalog statements: CREATE TABLE / [TEMPORARY] VIEW, DROP TABLE / VIEW, ALTER TABLE …
 * RENAME TO, DESCRIBE, SHOW TABLES / CURRENT CATALOG / CURRENT DATABASE / CREATE TABLE, USE [CATALOG].
 * Messages follow Flink's (TableEnvironmentImpl, DescribeTableOperation, CatalogManager).
 */
import {
  type FakeColumn,
  type FakeTable,
  type FakeView,
  type ObjectId,
  lookup,
  normalizeType,
  notModelled,
  quotedOf,
  resolveId,
  summaryOf,
} from './flink-fake-catalog';
import { java } from './flink-fake-errors';
import { runQuery } from './flink-fake-query';
import type { ExecutionContext, FakeResult } from './flink-fake-sql';
import type { Cursor, Token } from './flink-fake-tokens';

export const OK_RESULT: FakeResult = {
  columns: [{ name: 'result', type: 'STRING', nullable: true }],
  rows: [['OK']],
  resultKind: 'SUCCESS',
  isQueryResult: false,
  jobId: null,
};

const stringColumn = (name: string): FakeColumn => ({ name, type: 'STRING', nullable: true });

export function contentResult(columns: readonly FakeColumn[], rows: readonly (readonly unknown[])[]): FakeResult {
  return { columns, rows, resultKind: 'SUCCESS_WITH_CONTENT', isQueryResult: false, jobId: null };
}

/** Words that end a column's type in a column definition. */
const AFTER_TYPE = new Set(['NOT', 'NULL', 'PRIMARY', 'COMMENT', 'CONSTRAINT', 'METADATA']);

interface ColumnSpec {
  readonly column: FakeColumn;
  readonly primaryKey: boolean;
}

function columnSpec(cursor: Cursor): ColumnSpec {
  const name = cursor.identifier();
  const typeTokens: Token[] = [];
  for (let depth = 0; ; ) {
    const token = cursor.peek();
    if (token === undefined) throw cursor.unexpected();
    if (depth === 0 && token.kind === 'symbol' && (token.value === ',' || token.value === ')')) break;
    if (depth === 0 && token.kind === 'word' && AFTER_TYPE.has(token.value.toUpperCase())) break;
    if (token.kind === 'symbol' && (token.value === '(' || token.value === '<')) depth += 1;
    if (token.kind === 'symbol' && (token.value === ')' || token.value === '>')) depth -= 1;
    typeTokens.push(cursor.next());
  }
  const first = typeTokens[0];
  const last = typeTokens[typeTokens.length - 1];
  if (first === undefined || last === undefined) throw cursor.unexpected();
  const type = normalizeType(cursor.text.slice(first.start, last.end));
  let nullable = true;
  let primaryKey = false;
  for (;;) {
    if (cursor.acceptWord('NOT', 'NULL')) nullable = false;
    else if (cursor.acceptWord('NULL')) nullable = true;
    else if (cursor.acceptWord('PRIMARY', 'KEY')) {
      cursor.expectWord('NOT', 'ENFORCED');
      primaryKey = true;
    } else if (cursor.acceptWord('COMMENT')) cursor.string();
    else if (cursor.peekWord('METADATA')) throw notModelled('metadata columns');
    else break;
  }
  return { column: { name, type, nullable }, primaryKey };
}

const ENFORCED_MESSAGE =
  "Flink doesn't support ENFORCED mode for PRIMARY KEY constraint. ENFORCED/NOT ENFORCED controls if the constraint checks are " +
  'performed on the incoming/outgoing data. Flink does not own the data therefore the only supported mode is the NOT ENFORCED mode';

function primaryKeyClause(cursor: Cursor): string[] {
  cursor.expectWord('PRIMARY', 'KEY');
  const columns = cursor.identifierList();
  if (!cursor.acceptWord('NOT', 'ENFORCED')) throw java.validation(ENFORCED_MESSAGE);
  return columns;
}

/** After `CREATE TABLE`. */
export function createTable(cursor: Cursor, ctx: ExecutionContext): FakeResult {
  const ifNotExists = cursor.acceptWord('IF', 'NOT', 'EXISTS');
  const id = resolveId(cursor.path(), ctx.scope);
  cursor.expectSymbol('(');
  const columns: FakeColumn[] = [];
  let primaryKey: string[] | null = null;
  do {
    if (cursor.acceptWord('CONSTRAINT')) {
      cursor.identifier();
      primaryKey = primaryKeyClause(cursor);
    } else if (cursor.peekWord('PRIMARY', 'KEY')) {
      primaryKey = primaryKeyClause(cursor);
    } else if (cursor.peekWord('WATERMARK')) {
      throw notModelled('WATERMARK definitions');
    } else {
      const spec = columnSpec(cursor);
      if (columns.some((column) => column.name === spec.column.name)) {
        throw java.validation(
          `A column named '${spec.column.name}' already exists in the table. Duplicate columns exist in the compound schema.`,
        );
      }
      columns.push(spec.column);
      if (spec.primaryKey) primaryKey = [spec.column.name];
    }
  } while (cursor.acceptSymbol(','));
  cursor.expectSymbol(')');
  if (cursor.acceptWord('COMMENT')) cursor.string();
  const partitionKeys = cursor.acceptWord('PARTITIONED', 'BY') ? cursor.identifierList() : [];
  const options: Record<string, string> = {};
  if (cursor.acceptWord('WITH')) {
    cursor.expectSymbol('(');
    do {
      const key = cursor.string();
      cursor.expectSymbol('=');
      options[key] = cursor.string();
    } while (cursor.acceptSymbol(','));
    cursor.expectSymbol(')');
  }
  cursor.expectEnd();
  const names = columns.map((column) => column.name);
  for (const key of primaryKey ?? []) {
    if (!names.includes(key))
      throw java.validation(
        `Could not create a PRIMARY KEY with column '${key}' at line 1, column 1.\nColumn '${key}' does not exist.`,
      );
  }
  for (const key of partitionKeys) {
    if (!names.includes(key)) {
      throw java.validation(
        `Partition column '${key}' not defined in the table schema. Available columns: [${names.map((n) => `'${n}'`).join(', ')}]`,
      );
    }
  }
  const keyed = columns.map((column) => (primaryKey?.includes(column.name) ? { ...column, nullable: false } : column));
  const table: FakeTable = { kind: 'table', id, columns: keyed, primaryKey, partitionKeys, options, rows: [] };
  createObject(table, ifNotExists, 'CreateTable', ctx);
  return OK_RESULT;
}

function createObject(
  object: FakeTable | FakeView,
  ifNotExists: boolean,
  operation: string,
  ctx: ExecutionContext,
): void {
  const { id } = object;
  if (!ctx.catalogs.hasDatabase(id.catalog, id.database)) {
    throw java.validation(
      `Could not execute ${operation} in path ${quotedOf(id)}`,
      java.databaseNotExist(`Database ${id.database} does not exist in Catalog ${id.catalog}.`),
    );
  }
  if (ctx.catalogs.get(id) !== undefined) {
    if (ifNotExists) return;
    throw java.validation(
      `Could not execute ${operation} in path ${quotedOf(id)}`,
      java.tableAlreadyExists(`Table (or view) ${id.database}.${id.name} already exists in Catalog ${id.catalog}.`),
    );
  }
  ctx.catalogs.put(object);
}

/** After `CREATE [TEMPORARY] VIEW`. */
export function createView(cursor: Cursor, temporary: boolean, ctx: ExecutionContext): FakeResult {
  const ifNotExists = cursor.acceptWord('IF', 'NOT', 'EXISTS');
  const id = resolveId(cursor.path(), ctx.scope);
  cursor.expectWord('AS');
  const queryOffset = cursor.offset;
  const query = cursor.text.slice(queryOffset);
  const relation = runQuery(query, { resolve: (parts) => relationOf(parts, ctx), statement: cursor.text, queryOffset });
  const view: FakeView = { kind: 'view', id, query, columns: relation.columns };
  if (!temporary) {
    createObject(view, ifNotExists, 'CreateView', ctx);
  } else if (ctx.scope.temporaryViews.has(summaryOf(id))) {
    if (!ifNotExists) throw java.validation(`Temporary table '${summaryOf(id)}' already exists`);
  } else {
    ctx.scope.temporaryViews.set(summaryOf(id), view);
  }
  return OK_RESULT;
}

/** A table's or view's rows, for queries; views run their query. */
export function relationOf(
  parts: readonly string[],
  ctx: ExecutionContext,
): { columns: readonly FakeColumn[]; rows: readonly (readonly unknown[])[] } | undefined {
  const object = lookup(ctx.catalogs, ctx.scope, resolveId(parts, ctx.scope));
  if (object === undefined) return undefined;
  if (object.kind === 'table') return object;
  return runQuery(object.query, {
    resolve: (inner) => relationOf(inner, ctx),
    statement: object.query,
    queryOffset: 0,
  });
}

/** After `DROP [TEMPORARY]`. */
export function drop(cursor: Cursor, temporary: boolean, ctx: ExecutionContext): FakeResult {
  const isTable = cursor.acceptWord('TABLE');
  if (!isTable) cursor.expectWord('VIEW');
  const kind = isTable ? 'Table' : 'View';
  const ifExists = cursor.acceptWord('IF', 'EXISTS');
  const id = resolveId(cursor.path(), ctx.scope);
  cursor.expectEnd();
  const removed = temporary
    ? ctx.scope.temporaryViews.delete(summaryOf(id))
    : ctx.catalogs.get(id)?.kind === kind.toLowerCase() && ctx.catalogs.remove(id);
  if (!removed && !ifExists) {
    throw java.validation(`${temporary ? 'Temporary view' : kind} with identifier '${summaryOf(id)}' does not exist.`);
  }
  return OK_RESULT;
}

/** After `ALTER TABLE`; only RENAME TO is modelled. */
export function alterTable(cursor: Cursor, ctx: ExecutionContext): FakeResult {
  const ifExists = cursor.acceptWord('IF', 'EXISTS');
  const id = resolveId(cursor.path(), ctx.scope);
  if (!cursor.acceptWord('RENAME', 'TO')) throw notModelled('ALTER TABLE other than RENAME TO');
  const newParts = cursor.path();
  cursor.expectEnd();
  const table = ctx.catalogs.get(id);
  if (table?.kind !== 'table') {
    if (ifExists) return OK_RESULT;
    throw java.validation(`Table ${quotedOf(id)} doesn't exist or is a temporary table.`);
  }
  // The catalog renames within the table's database; only the new name's last part counts.
  const renamed: ObjectId = { ...id, name: newParts[newParts.length - 1] ?? id.name };
  if (ctx.catalogs.get(renamed) !== undefined) {
    throw java.validation(
      `Could not execute ALTER TABLE ${summaryOf(id)} RENAME TO ${summaryOf(renamed)}`,
      java.tableAlreadyExists(
        `Table (or view) ${renamed.database}.${renamed.name} already exists in Catalog ${renamed.catalog}.`,
      ),
    );
  }
  ctx.catalogs.remove(id);
  ctx.catalogs.put({ ...table, id: renamed });
  return OK_RESULT;
}

/** After `DESCRIBE` / `DESC`. */
export function describe(cursor: Cursor, ctx: ExecutionContext): FakeResult {
  cursor.acceptWord('EXTENDED');
  const id = resolveId(cursor.path(), ctx.scope);
  cursor.expectEnd();
  const object = lookup(ctx.catalogs, ctx.scope, id);
  if (object === undefined)
    throw java.validation(`Tables or views with the identifier '${summaryOf(id)}' doesn't exist.`);
  const primaryKey = object.kind === 'table' ? object.primaryKey : null;
  const key = primaryKey === null ? null : `PRI(${primaryKey.join(', ')})`;
  const columns: FakeColumn[] = [
    stringColumn('name'),
    stringColumn('type'),
    { name: 'null', type: 'BOOLEAN', nullable: true },
    stringColumn('key'),
    stringColumn('extras'),
    stringColumn('watermark'),
  ];
  return contentResult(
    columns,
    object.columns.map((column) => [
      column.name,
      column.type,
      column.nullable,
      primaryKey?.includes(column.name) ? key : null,
      null,
      null,
    ]),
  );
}

function createTableText(table: FakeTable): string {
  const lines = table.columns.map(
    (column) => `  \`${column.name}\` ${column.type}${column.nullable ? '' : ' NOT NULL'}`,
  );
  if (table.primaryKey !== null)
    lines.push(
      `  CONSTRAINT \`PK_${table.primaryKey.join('_')}\` PRIMARY KEY (${table.primaryKey.map((k) => `\`${k}\``).join(', ')}) NOT ENFORCED`,
    );
  let text = `CREATE TABLE ${quotedOf(table.id)} (\n${lines.join(',\n')}\n)`;
  if (table.partitionKeys.length > 0)
    text += `\nPARTITIONED BY (${table.partitionKeys.map((k) => `\`${k}\``).join(', ')})`;
  const options = Object.entries(table.options);
  if (options.length > 0) text += `\nWITH (\n${options.map(([k, v]) => `  '${k}' = '${v}'`).join(',\n')}\n)`;
  return `${text}\n`;
}

/** After `SHOW`. */
export function show(cursor: Cursor, ctx: ExecutionContext, jobs: () => FakeResult): FakeResult {
  if (cursor.acceptWord('CURRENT', 'CATALOG'))
    return contentResult([stringColumn('current catalog name')], [[ctx.scope.currentCatalog]]);
  if (cursor.acceptWord('CURRENT', 'DATABASE'))
    return contentResult([stringColumn('current database name')], [[ctx.scope.currentDatabase]]);
  if (cursor.acceptWord('JOBS')) {
    cursor.expectEnd();
    return jobs();
  }
  if (cursor.acceptWord('CREATE', 'TABLE')) {
    const id = resolveId(cursor.path(), ctx.scope);
    cursor.expectEnd();
    const table = ctx.catalogs.get(id);
    if (table?.kind !== 'table')
      throw java.validation(
        `Could not execute SHOW CREATE TABLE. Table with identifier ${quotedOf(id)} does not exist.`,
      );
    return contentResult([stringColumn('result')], [[createTableText(table)]]);
  }
  if (!cursor.acceptWord('TABLES')) throw notModelled('this SHOW statement');
  let catalog = ctx.scope.currentCatalog;
  let database = ctx.scope.currentDatabase;
  if (cursor.acceptWord('FROM') || cursor.acceptWord('IN')) {
    const parts = cursor.path();
    if (parts.length === 2) catalog = parts[0] ?? catalog;
    database = parts[parts.length - 1] ?? database;
  }
  const negated = cursor.acceptWord('NOT');
  const pattern = cursor.acceptWord('LIKE') ? cursor.string() : null;
  cursor.expectEnd();
  const names = ctx.catalogs.names(catalog, database);
  if (names === null) throw java.validation(`Database '${database}' does not exist in catalog '${catalog}'.`);
  const like =
    pattern === null
      ? null
      : new RegExp(
          `^${pattern
            .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
            .replace(/%/g, '.*')
            .replace(/_/g, '.')}$`,
        );
  const shown = names.filter((name) => like === null || like.test(name) !== negated);
  return contentResult(
    [stringColumn('table name')],
    shown.map((name) => [name]),
  );
}

/** After `USE`. */
export function use(cursor: Cursor, ctx: ExecutionContext): FakeResult {
  if (cursor.acceptWord('CATALOG')) {
    const catalog = cursor.identifier();
    cursor.expectEnd();
    if (!ctx.catalogs.hasCatalog(catalog)) throw java.catalog(`A catalog with name [${catalog}] does not exist.`);
    ctx.scope.currentCatalog = catalog;
    ctx.scope.currentDatabase = ctx.catalogs.firstDatabase(catalog) ?? ctx.scope.currentDatabase;
    return OK_RESULT;
  }
  const parts = cursor.path();
  cursor.expectEnd();
  const catalog = parts.length === 2 ? (parts[0] ?? ctx.scope.currentCatalog) : ctx.scope.currentCatalog;
  const database = parts[parts.length - 1] ?? '';
  if (!ctx.catalogs.hasDatabase(catalog, database))
    throw java.catalog(`A database with name [${database}] does not exist in the catalog: [${catalog}].`);
  ctx.scope.currentCatalog = catalog;
  ctx.scope.currentDatabase = database;
  return OK_RESULT;
}
