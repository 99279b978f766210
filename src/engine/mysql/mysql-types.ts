/**
 * MySQL type names from the column metadata of a result (the protocol's column definition: type code,
 * length, decimals, flags, character set), for output columns that have no declared type to read.
 *
 * The names are what `CREATE TABLE … AS SELECT` would declare, without display widths: `int`, `bigint
 * unsigned`, `decimal(32,2)`, `double`, `varchar(41)`, `text`, `datetime(6)`, `tinyint(1)` (MySQL's
 * boolean), MariaDB's extended types (`uuid`, `inet6`, `json`) by their names. A column whose type is NULL
 * (`SELECT NULL AS x`) is `text`.
 */

/** Column type codes of the client/server protocol. */
const TYPE = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  VARCHAR: 15,
  BIT: 16,
  TIMESTAMP2: 17,
  DATETIME2: 18,
  TIME2: 19,
  JSON: 245,
  NEWDECIMAL: 246,
  ENUM: 247,
  SET: 248,
  TINY_BLOB: 249,
  MEDIUM_BLOB: 250,
  LONG_BLOB: 251,
  BLOB: 252,
  VAR_STRING: 253,
  STRING: 254,
  GEOMETRY: 255,
} as const;

const FLAG = { NOT_NULL: 1, UNSIGNED: 32, ENUM: 256, SET: 2048 } as const;

/** The `binary` character set: the column holds bytes, not characters. */
const BINARY_CHARSET = 63;

/**
 * Bytes per character in lengths the server reports: lengths are given in the connection's result character
 * set, which the engine sets to utf8mb4.
 */
const BYTES_PER_CHARACTER = 4;

/** The column metadata the mapping reads (a subset of mysql2's FieldPacket). */
export interface ColumnMetadata {
  readonly columnType?: number;
  readonly columnLength?: number;
  readonly decimals: number;
  readonly flags: number | string[];
  readonly characterSet?: number;
  readonly extendedTypeName?: string;
  readonly extendedFormat?: string;
}

function hasFlag(column: ColumnMetadata, flag: keyof typeof FLAG): boolean {
  return Array.isArray(column.flags) ? column.flags.includes(flag) : (column.flags & FLAG[flag]) !== 0;
}

/** Whether the column can hold NULL, as the server derived it for the query (outer joins, aggregates…). */
export function isNullable(column: ColumnMetadata): boolean {
  return !hasFlag(column, 'NOT_NULL');
}

/** Fractional seconds digits: 0 – 6; anything else means "not given". */
function fraction(decimals: number): string {
  return decimals > 0 && decimals <= 6 ? `(${decimals})` : '';
}

function decimalType(column: ColumnMetadata, unsigned: boolean): string {
  const scale = column.decimals <= 30 ? column.decimals : 0;
  // The length counts the digits, the decimal point and the sign.
  const precision = (column.columnLength ?? 0) - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1);
  return `decimal(${Math.min(65, Math.max(1, precision, scale))},${scale})`;
}

/** `tiny`/`''`/`medium`/`long` for a BLOB or TEXT column holding up to `units` bytes or characters. */
function lobSize(units: number): string {
  if (units <= 255) return 'tiny';
  if (units <= 65_535) return '';
  if (units <= 16_777_215) return 'medium';
  return 'long';
}

function stringType(column: ColumnMetadata): string {
  const binary = column.characterSet === BINARY_CHARSET;
  const bytes = column.columnLength ?? 0;
  const length = binary ? bytes : Math.floor(bytes / BYTES_PER_CHARACTER);
  const code = column.columnType;
  if (code === TYPE.STRING && !hasFlag(column, 'ENUM') && !hasFlag(column, 'SET')) {
    return `${binary ? 'binary' : 'char'}(${length})`;
  }
  if (code === TYPE.VAR_STRING || code === TYPE.VARCHAR || code === TYPE.STRING) {
    if (length <= 16_383) return `${binary ? 'varbinary' : 'varchar'}(${length})`;
  }
  return `${lobSize(length)}${binary ? 'blob' : 'text'}`;
}

/** The type name of an output column; '' when the metadata names no type the engine knows. */
export function typeName(column: ColumnMetadata): string {
  if (column.extendedFormat === 'json') return 'json';
  if (column.extendedTypeName !== undefined && column.extendedTypeName !== '') return column.extendedTypeName;
  const unsigned = hasFlag(column, 'UNSIGNED') ? ' unsigned' : '';
  switch (column.columnType) {
    case TYPE.TINY:
      return column.columnLength === 1 && unsigned === '' ? 'tinyint(1)' : `tinyint${unsigned}`;
    case TYPE.SHORT:
      return `smallint${unsigned}`;
    case TYPE.INT24:
      return `mediumint${unsigned}`;
    case TYPE.LONG:
      return `int${unsigned}`;
    case TYPE.LONGLONG:
      return `bigint${unsigned}`;
    case TYPE.DECIMAL:
    case TYPE.NEWDECIMAL:
      return `${decimalType(column, unsigned !== '')}${unsigned}`;
    case TYPE.FLOAT:
      return `float${unsigned}`;
    case TYPE.DOUBLE:
      return `double${unsigned}`;
    case TYPE.NULL:
      return 'text';
    case TYPE.DATE:
    case TYPE.NEWDATE:
      return 'date';
    case TYPE.TIME:
    case TYPE.TIME2:
      return `time${fraction(column.decimals)}`;
    case TYPE.DATETIME:
    case TYPE.DATETIME2:
      return `datetime${fraction(column.decimals)}`;
    case TYPE.TIMESTAMP:
    case TYPE.TIMESTAMP2:
      return `timestamp${fraction(column.decimals)}`;
    case TYPE.YEAR:
      return 'year';
    case TYPE.BIT:
      return `bit(${Math.max(1, column.columnLength ?? 1)})`;
    case TYPE.JSON:
      return 'json';
    case TYPE.GEOMETRY:
      return 'geometry';
    case TYPE.VARCHAR:
    case TYPE.VAR_STRING:
    case TYPE.STRING:
    case TYPE.ENUM:
    case TYPE.SET:
    case TYPE.TINY_BLOB:
    case TYPE.MEDIUM_BLOB:
    case TYPE.LONG_BLOB:
    case TYPE.BLOB:
      return stringType(column);
    default:
      return '';
  }
}
