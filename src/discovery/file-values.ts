/**
 * The types of values read from files (CSV cells are text; NDJSON values are JSON): what each value looks like,
 * the narrowest type every value of a column fits, and each value converted to that type for loading.
 */
import type { PortableTypeFamily } from '../engine/engine';

/** What a column of a file holds. */
export type ValueType = 'integer' | 'float' | 'boolean' | 'date' | 'timestamp' | 'text';

/** A value as read from a file: CSV gives text (empty cells are null), NDJSON any JSON scalar. */
export type FileValue = string | number | boolean | null;

/** Whole numbers exact as doubles; longer digit strings, and ones with a leading zero (codes), stay text. */
const DIGITS = /^[+-]?\d+$/;
const INTEGER = /^[+-]?(0|[1-9]\d{0,14})$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN = /^(true|false)$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** The date-times SQLite, PostgreSQL and MySQL all read: ISO-8601 with `T` or a space, optional zone. */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$/;

function validDate(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** The type a single non-null value looks like. */
export function typeOfValue(value: FileValue): ValueType | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isSafeInteger(value) ? 'integer' : 'float';
  if (DIGITS.test(value)) return INTEGER.test(value) ? 'integer' : 'text';
  if (FLOAT.test(value)) return 'float';
  if (BOOLEAN.test(value)) return 'boolean';
  let match = DATE.exec(value);
  if (match) return validDate(Number(match[1]), Number(match[2]), Number(match[3])) ? 'date' : 'text';
  match = TIMESTAMP.exec(value);
  if (match && validDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
    return Number(match[4]) < 24 && Number(match[5]) < 60 && Number(match[6] ?? 0) < 60 ? 'timestamp' : 'text';
  }
  return 'text';
}

/** The narrowest type both fit: integers widen to floats, dates to timestamps, anything else mixed to text. */
export function widen(a: ValueType | null, b: ValueType | null): ValueType | null {
  if (a === null || a === b) return b;
  if (b === null) return a;
  const pair = new Set([a, b]);
  if (pair.has('integer') && pair.has('float')) return 'float';
  if (pair.has('date') && pair.has('timestamp')) return 'timestamp';
  return 'text';
}

/** Widens each column's type with every value of a row. */
export class ColumnTypes {
  private readonly types: Array<ValueType | null>;

  constructor(columns: number) {
    this.types = new Array<ValueType | null>(columns).fill(null);
  }

  observe(values: readonly FileValue[]): void {
    for (let i = 0; i < this.types.length; i++) {
      const current = this.types[i] ?? null;
      if (current === 'text') continue;
      const value = values[i] ?? null;
      if (value === null) continue;
      this.types[i] = widen(current, typeOfValue(value));
    }
  }

  /** Each column's type; a column with no value at all is text. */
  result(): ValueType[] {
    return this.types.map((t) => t ?? 'text');
  }
}

/** The portable column type a file column is loaded as. */
export function familyOf(type: ValueType): PortableTypeFamily {
  return type;
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC: a time with a zone is moved to UTC, one without is kept as written. */
function normalTimestamp(text: string): string {
  const match = TIMESTAMP.exec(text);
  if (!match) throw new Error(`'${text}' is not a date-time`);
  const [, y, mo, d, h, mi, s = '00', fraction = '', zone] = match;
  const local = `${y}-${mo}-${d} ${h}:${mi}:${s}${fraction}`;
  if (zone === undefined || zone === 'Z' || /^[+-]00:?00$/.test(zone)) return local;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  const utc = new Date(Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`) - offsetMinutes * 60_000);
  return `${utc.toISOString().slice(0, 19).replace('T', ' ')}${fraction}`;
}

/**
 * A value converted for loading as `type`; throws an Error saying what is wrong when it does not fit (the file
 * changed since its types were read).
 */
export function typedValue(value: FileValue, type: ValueType): FileValue {
  if (value === null) return null;
  const found = typeOfValue(value);
  const fits =
    found === type || (type === 'float' && found === 'integer') || (type === 'timestamp' && found === 'date');
  if (type === 'text') return typeof value === 'string' ? value : String(value);
  if (!fits) throw new Error(`'${String(value)}' is not a value of type ${type}`);
  switch (type) {
    case 'integer':
    case 'float':
      return typeof value === 'number' ? value : Number(value);
    case 'boolean':
      return typeof value === 'boolean' ? value : String(value).toLowerCase() === 'true';
    case 'date':
      return String(value);
    case 'timestamp':
      return found === 'date' ? `${String(value)} 00:00:00` : normalTimestamp(String(value));
  }
}

/** What a converter returns for a value that does not fit its type. */
export const MISFIT: unique symbol = Symbol('misfit');

const WHOLE = /^[+-]?\d+$/;
const PLAIN_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/;

/**
 * A fast converter for loading values of `type` (what {@link typedValue} does, with the common shapes tested
 * first): {@link MISFIT} for a value that does not fit.
 */
export function converterOf(type: ValueType): (value: FileValue) => FileValue | typeof MISFIT {
  const careful = (value: FileValue) => {
    try {
      return typedValue(value, type);
    } catch {
      return MISFIT;
    }
  };
  switch (type) {
    case 'text':
      return (value) => (value === null || typeof value === 'string' ? value : String(value));
    case 'integer':
      return (value) => {
        if (typeof value !== 'string') return careful(value);
        const n = Number(value);
        return WHOLE.test(value) && Number.isSafeInteger(n) ? n : MISFIT;
      };
    case 'float':
      return (value) => {
        if (typeof value !== 'string') return careful(value);
        const n = value.trim() === '' ? Number.NaN : Number(value);
        return Number.isFinite(n) && FLOAT.test(value) ? n : MISFIT;
      };
    case 'boolean':
      return (value) => {
        if (typeof value !== 'string') return careful(value);
        const lower = value.toLowerCase();
        return lower === 'true' ? true : lower === 'false' ? false : MISFIT;
      };
    case 'timestamp':
      return (value) => (typeof value === 'string' && PLAIN_TIMESTAMP.test(value) ? value : careful(value));
    case 'date':
      return (value) => {
        const match = typeof value === 'string' ? DATE.exec(value) : null;
        if (match === null) return careful(value);
        const [month, day] = [Number(match[2]), Number(match[3])];
        return month >= 1 && month <= 12 && day >= 1 && day <= 31 ? value : careful(value);
      };
  }
}

/** A small seeded generator (mulberry32): the same seed gives the same sample of the same file. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
