/**
 * The fake gateway's catalogs: catalog → database → tables and views, rows held in memory, plus each
 * session's current catalog and database and its temporary views. Identifiers are case-sensitive, as in Flink.
 */
import { type JavaThrowable, java } from './flink-fake-errors';

export interface FakeColumn {
  readonly name: string;
  /** Flink's type text without nullability (`INT`, `STRING`, `DECIMAL(10, 2)`). */
  readonly type: string;
  readonly nullable: boolean;
}

export interface ObjectId {
  readonly catalog: string;
  readonly database: string;
  readonly name: string;
}

export interface FakeTable {
  readonly kind: 'table';
  readonly id: ObjectId;
  readonly columns: readonly FakeColumn[];
  readonly primaryKey: readonly string[] | null;
  readonly partitionKeys: readonly string[];
  readonly options: Readonly<Record<string, string>>;
  rows: unknown[][];
}

export interface FakeView {
  readonly kind: 'view';
  readonly id: ObjectId;
  readonly query: string;
  readonly columns: readonly FakeColumn[];
}

export type FakeObject = FakeTable | FakeView;

/** `cat.db.t`, as Flink's ObjectIdentifier#asSummaryString prints it. */
export const summaryOf = (id: ObjectId) => `${id.catalog}.${id.database}.${id.name}`;
/** `` `cat`.`db`.`t` ``, as ObjectIdentifier#asSerializableString prints it. */
export const quotedOf = (id: ObjectId) =>
  [id.catalog, id.database, id.name].map((part) => `\`${part.replace(/`/g, '``')}\``).join('.');

/** What a session resolves names against. */
export interface SessionScope {
  currentCatalog: string;
  currentDatabase: string;
  readonly temporaryViews: Map<string, FakeView>;
}

export class FakeCatalogs {
  readonly #catalogs = new Map<string, Map<string, Map<string, FakeObject>>>();

  constructor() {
    this.addDatabase('default_catalog', 'default_database');
  }

  addDatabase(catalog: string, database: string): void {
    const databases = this.#catalogs.get(catalog) ?? new Map<string, Map<string, FakeObject>>();
    this.#catalogs.set(catalog, databases);
    if (!databases.has(database)) databases.set(database, new Map());
  }

  hasCatalog(catalog: string): boolean {
    return this.#catalogs.has(catalog);
  }

  /** The database a catalog starts in: the first one it was given. */
  firstDatabase(catalog: string): string | undefined {
    return this.#catalogs.get(catalog)?.keys().next().value;
  }

  hasDatabase(catalog: string, database: string): boolean {
    return this.#catalogs.get(catalog)?.has(database) ?? false;
  }

  get(id: ObjectId): FakeObject | undefined {
    return this.#catalogs.get(id.catalog)?.get(id.database)?.get(id.name);
  }

  /** Stores an object; the database must exist. */
  put(object: FakeObject): void {
    const database = this.#catalogs.get(object.id.catalog)?.get(object.id.database);
    if (database === undefined)
      throw java.databaseNotExist(`Database ${object.id.database} does not exist in Catalog ${object.id.catalog}.`);
    database.set(object.id.name, object);
  }

  remove(id: ObjectId): boolean {
    return this.#catalogs.get(id.catalog)?.get(id.database)?.delete(id.name) ?? false;
  }

  /** Names in a database, sorted; null when the database does not exist. */
  names(catalog: string, database: string): string[] | null {
    const objects = this.#catalogs.get(catalog)?.get(database);
    return objects === undefined ? null : [...objects.keys()].sort();
  }
}

/** A name of one to three parts, completed with the session's current catalog and database. */
export function resolveId(parts: readonly string[], scope: SessionScope): ObjectId {
  const [a, b, c] = parts;
  if (parts.length === 1 && a !== undefined)
    return { catalog: scope.currentCatalog, database: scope.currentDatabase, name: a };
  if (parts.length === 2 && a !== undefined && b !== undefined)
    return { catalog: scope.currentCatalog, database: a, name: b };
  if (parts.length === 3 && a !== undefined && b !== undefined && c !== undefined)
    return { catalog: a, database: b, name: c };
  throw java.validation(`Object identifier may at most contain 3 parts: ${parts.join('.')}`);
}

/** A table or view, temporary views first (they shadow catalog objects in Flink). */
export function lookup(catalogs: FakeCatalogs, scope: SessionScope, id: ObjectId): FakeObject | undefined {
  return scope.temporaryViews.get(summaryOf(id)) ?? catalogs.get(id);
}

const TYPE_ROOTS = new Set([
  'CHAR',
  'VARCHAR',
  'STRING',
  'BOOLEAN',
  'BINARY',
  'VARBINARY',
  'BYTES',
  'DECIMAL',
  'DEC',
  'NUMERIC',
  'TINYINT',
  'SMALLINT',
  'INT',
  'INTEGER',
  'BIGINT',
  'FLOAT',
  'DOUBLE',
  'DATE',
  'TIME',
  'TIMESTAMP',
  'TIMESTAMP_LTZ',
  'INTERVAL',
  'ARRAY',
  'MULTISET',
  'MAP',
  'ROW',
  'RAW',
  'NULL',
]);

/** Flink's spelling of a type as DESCRIBE prints it; unknown type names fail like Flink's parser. */
export function normalizeType(text: string): string {
  const type = text
    .replace(/\s+/g, ' ')
    .replace(/\s*\(\s*/g, '(')
    .replace(/\s*\)/g, ')')
    .replace(/\s*,\s*/g, ', ')
    .trim()
    .toUpperCase();
  const root = /^[A-Z_]+/.exec(type)?.[0] ?? '';
  if (!TYPE_ROOTS.has(root)) throw java.validation(`Could not find a type named '${text.trim()}'.`);
  if (type === 'VARCHAR(2147483647)') return 'STRING';
  return type.replace(/^INTEGER\b/, 'INT').replace(/^DEC\b|^NUMERIC\b/, 'DECIMAL');
}

/** The JSON form of a column's LogicalType in fetched results (LogicalTypeJsonSerializer). */
export function logicalTypeJson(column: FakeColumn): Record<string, unknown> {
  const type = column.type;
  const size = /\((\d+)(?:, (\d+))?\)/.exec(type);
  const base = { nullable: column.nullable };
  if (type === 'STRING') return { type: 'VARCHAR', ...base, length: 2147483647 };
  if (/^(VAR)?CHAR\b/.test(type))
    return { type: type.startsWith('VAR') ? 'VARCHAR' : 'CHAR', ...base, length: Number(size?.[1] ?? 1) };
  if (type.startsWith('DECIMAL'))
    return { type: 'DECIMAL', ...base, precision: Number(size?.[1] ?? 10), scale: Number(size?.[2] ?? 0) };
  if (type.startsWith('TIMESTAMP_LTZ') || type.includes('WITH LOCAL TIME ZONE')) {
    return { type: 'TIMESTAMP_WITH_LOCAL_TIME_ZONE', ...base, precision: Number(size?.[1] ?? 6) };
  }
  if (type.startsWith('TIMESTAMP'))
    return { type: 'TIMESTAMP_WITHOUT_TIME_ZONE', ...base, precision: Number(size?.[1] ?? 6) };
  const root = /^[A-Z_]+/.exec(type)?.[0] ?? type;
  return { type: root === 'INT' ? 'INTEGER' : root, ...base };
}

/** Thrown by the fake for SQL it does not model: a limit of the fake, not a Flink answer. */
export const notModelled = (what: string): JavaThrowable =>
  java.unsupported(`The Flink SQL Gateway fake does not model ${what}.`);
