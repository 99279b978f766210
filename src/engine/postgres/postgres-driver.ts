/**
 * The slice of node-postgres (`pg`) the PostgreSQL engine uses, typed here because the package ships no type
 * declarations, and the pool settings every engine connection shares.
 */

/** A column of a result, as the server's RowDescription names it. */
export interface PgField {
  readonly name: string;
  /** OID of the table the column reads directly, 0 when it is an expression. */
  readonly tableID: number;
  /** Attribute number of that column, 0 when it is an expression. */
  readonly columnID: number;
  readonly dataTypeID: number;
  readonly dataTypeModifier: number;
}

export interface PgResult<Row = Record<string, unknown>> {
  readonly rows: Row[];
  readonly fields: PgField[];
  /** Rows the command affected or returned; null for commands that report no count (DDL). */
  readonly rowCount: number | null;
  readonly command: string;
}

export interface PgQueryConfig {
  readonly text: string;
  readonly values?: readonly unknown[];
  readonly rowMode?: 'array';
  /** 'extended' sends Parse/Bind/Execute even without parameters, which refuses several statements in one text. */
  readonly queryMode?: 'extended';
  /** Most rows per Execute; the server suspends the portal after that many. */
  readonly rows?: number;
}

export interface PgQueryable {
  query<Row = Record<string, unknown>>(config: PgQueryConfig): Promise<PgResult<Row>>;
}

/** The wire connection a submitted query drives (only what the engine's row-limited query needs). */
export interface PgConnection {
  sync(): void;
}

export interface PgPoolClient {
  query<Row = Record<string, unknown>>(config: PgQueryConfig): Promise<PgResult<Row>>;
  /** Submits a query object (see {@link PgQueryClass}) and calls back once the server is ready again. */
  query(submittable: PgSubmittedQuery, callback: (error: Error | null, result: PgResult<unknown[]>) => void): void;
  /** 'I' idle, 'T' in a transaction, 'E' in a failed transaction (from the last ReadyForQuery). */
  getTransactionStatus(): 'I' | 'T' | 'E' | null;
  /** Returns the client to its pool; with an error the pool discards it instead. */
  release(error?: Error | boolean): void;
  /** The server process serving this connection, which `pg_cancel_backend` names. */
  readonly processID: number;
}

/** A connection of its own, outside any pool. */
export interface PgClient extends PgQueryable {
  connect(): Promise<void>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): this;
}

export interface PgPool extends PgQueryable {
  /** What the pool was made with. */
  readonly options: PgPoolConfig;
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): this;
}

export interface PgPoolConfig {
  readonly connectionString: string;
  readonly max: number;
  readonly connectionTimeoutMillis: number;
  readonly idleTimeoutMillis: number;
  readonly application_name: string;
  readonly types: { getTypeParser(oid: number, format: string): (value: string) => unknown };
}

/** An instance of pg's Query class; subclasses may override how a suspended portal is handled. */
export interface PgSubmittedQuery {
  handlePortalSuspended(connection: PgConnection): void;
  handleCommandComplete(message: unknown, connection: PgConnection): void;
  handleEmptyQuery(connection: PgConnection): void;
  handleError(error: Error, connection: PgConnection): void;
}

export type PgQueryClass = new (config: PgQueryConfig) => PgSubmittedQuery;

interface PgModule {
  readonly Pool: new (config: PgPoolConfig) => PgPool;
  readonly Query: PgQueryClass;
  readonly Client: new (config: { connectionString: string; application_name: string }) => PgClient;
  readonly types: { getTypeParser(oid: number, format: string): (value: string) => unknown };
}

// A plain require: `import` would need the type declarations pg does not ship.
export const pg = require('pg') as PgModule;

/** Type OIDs whose default parsers the engine replaces. */
const INT8 = 20;
const DATE = 1082;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;
const INTERVAL = 1186;

const keepText = (value: string) => value;

function parseInt8(value: string): number | string {
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) ? parsed : value;
}

/**
 * Text parsers for the engine's connections: bigint as a number while it is exact (count(*) is a bigint),
 * else the decimal string; dates, timestamps and intervals exactly as the server prints them, because turning a
 * `timestamp without time zone` or a `date` into a JavaScript Date would shift it by the gateway's time zone.
 */
export function engineTypeParser(oid: number, format: string): (value: string) => unknown {
  if (format === 'text') {
    if (oid === INT8) return parseInt8;
    if (oid === DATE || oid === TIMESTAMP || oid === TIMESTAMPTZ || oid === INTERVAL) return keepText;
  }
  return pg.types.getTypeParser(oid, format);
}
