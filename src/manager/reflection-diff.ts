/**
 * What reflection makes of two readings of a table's columns: the diff, the next version number and the
 * fingerprint. Pure functions.
 *
 * Whether a type change widens or narrows comes from a small order per kind of type, the same for the engines
 * Freshet speaks (their common names and PostgreSQL's and MySQL's aliases): smallint < integer < bigint,
 * real < double, char(n) < varchar(n) < varchar(m > n) < text, decimal(p, s) < decimal(p' ≥ p, s' ≥ s). Any other
 * pair of different types is a change of kind, which counts as breaking.
 */
import { createHash } from 'node:crypto';
import type { ColumnTypeChange, SchemaDiff } from '../catalog/schema-version-store';
import type { ColumnInfo, SqlDialect } from '../model';

/** A type placed in its order: its chain, rank within the chain, and a length or precision where it has one. */
interface RankedType {
  readonly chain: 'integer' | 'float' | 'text' | 'decimal' | 'other';
  readonly rank: number;
  /** Declared length (text) or precision (decimal); infinite when unbounded. */
  readonly size: number;
  /** Digits after the point (decimal). */
  readonly scale: number;
  /** The type as compared when it is in no chain. */
  readonly text: string;
}

const INTEGER_RANKS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(tinyint|int1)$/, 1],
  [/^(smallint|int2|smallserial|serial2)$/, 2],
  [/^(mediumint|int3)$/, 3],
  [/^(int|integer|int4|serial|serial4)$/, 4],
  [/^(bigint|int8|bigserial|serial8)$/, 5],
];
const FLOAT_RANKS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(real|float4|float)$/, 1],
  [/^(double|double precision|float8)$/, 2],
];
const TEXT_RANKS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(char|character|nchar)$/, 1],
  [/^(varchar|character varying|nvarchar|varchar2)$/, 2],
  [/^(text|clob|tinytext|mediumtext|longtext|string)$/, 3],
];

/** The type's name in one spelling: lower case, single spaces, MySQL's display widths and `unsigned` kept apart. */
export function normalizeType(type: string): string {
  return type.trim().toLowerCase().replace(/\s+/g, ' ');
}

function rankOf(type: string, dialect: SqlDialect): RankedType {
  const text = normalizeType(type);
  const match = /^([a-z][a-z0-9 ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?(\s+unsigned)?$/.exec(text);
  const base = match?.[1] ?? text;
  const size = match?.[2] === undefined ? Number.POSITIVE_INFINITY : Number(match[2]);
  const scale = match?.[3] === undefined ? 0 : Number(match[3]);
  const other: RankedType = { chain: 'other', rank: 0, size, scale, text };
  if (match?.[4] !== undefined) return other;
  const find = (ranks: ReadonlyArray<readonly [RegExp, number]>) => ranks.find(([pattern]) => pattern.test(base))?.[1];
  const integer = find(INTEGER_RANKS);
  // MySQL's int(11) is a display width, not a size; tinyint(1) is its boolean.
  if (integer !== undefined && !(dialect === 'mysql' && base === 'tinyint' && size === 1)) {
    return { chain: 'integer', rank: integer, size: 0, scale: 0, text: base };
  }
  const float = find(FLOAT_RANKS);
  if (float !== undefined && match?.[2] === undefined) return { chain: 'float', rank: float, size: 0, scale: 0, text };
  const textRank = find(TEXT_RANKS);
  if (textRank !== undefined) return { chain: 'text', rank: textRank, size, scale: 0, text };
  if (/^(numeric|decimal|number)$/.test(base)) return { chain: 'decimal', rank: 1, size, scale, text };
  return other;
}

/** How `to` relates to `from`: the same type, wider, narrower, or another kind of type. */
export function compareTypes(from: string, to: string, dialect: SqlDialect): 'same' | ColumnTypeChange['change'] {
  if (normalizeType(from) === normalizeType(to)) return 'same';
  const a = rankOf(from, dialect);
  const b = rankOf(to, dialect);
  if (a.chain !== b.chain || a.chain === 'other') return a.text === b.text ? 'same' : 'changed';
  if (a.chain === 'decimal') {
    const intDigits = (t: RankedType) => t.size - t.scale;
    if (a.size === b.size && a.scale === b.scale) return 'same';
    return intDigits(b) >= intDigits(a) && b.scale >= a.scale ? 'widened' : 'narrowed';
  }
  if (a.rank === b.rank && a.size === b.size) return 'same';
  // Within a chain a higher rank holds every value of a lower one (if it is as long); the same rank compares lengths.
  if (a.rank !== b.rank) return b.rank > a.rank && b.size >= a.size ? 'widened' : 'narrowed';
  return b.size > a.size ? 'widened' : 'narrowed';
}

/** No change at all. */
export const EMPTY_DIFF: SchemaDiff = { added: [], dropped: [], renamed: [], changed: [] };

/**
 * What changed from `before` to `after`. A column that disappears while another of the same type appears at
 * the same position is taken for a rename.
 */
export function diffColumns(
  before: readonly ColumnInfo[],
  after: readonly ColumnInfo[],
  dialect: SqlDialect,
): SchemaDiff {
  const lower = (c: ColumnInfo) => c.name.toLowerCase();
  const afterByName = new Map(after.map((c) => [lower(c), c]));
  const beforeNames = new Set(before.map(lower));
  const changed: ColumnTypeChange[] = [];
  let dropped: ColumnInfo[] = [];
  for (const column of before) {
    const now = afterByName.get(lower(column));
    if (now === undefined) {
      dropped.push(column);
      continue;
    }
    const change = compareTypes(column.type, now.type, dialect);
    if (change !== 'same') changed.push({ column: now.name, from: column.type, to: now.type, change });
  }
  let added = after.filter((c) => !beforeNames.has(lower(c)));
  const renamed: Array<{ from: string; to: string }> = [];
  for (const gone of [...dropped]) {
    const position = before.indexOf(gone);
    const candidate = after[position];
    if (candidate === undefined || !added.includes(candidate)) continue;
    if (compareTypes(gone.type, candidate.type, dialect) !== 'same') continue;
    renamed.push({ from: gone.name, to: candidate.name });
    dropped = dropped.filter((c) => c !== gone);
    added = added.filter((c) => c !== candidate);
  }
  return { added, dropped, renamed, changed };
}

export function isEmptyDiff(diff: SchemaDiff): boolean {
  return diff.added.length === 0 && diff.dropped.length === 0 && diff.renamed.length === 0 && diff.changed.length === 0;
}

/** True when the diff drops, renames or narrows a column, or changes its kind of type. */
export function isMajor(diff: SchemaDiff): boolean {
  return diff.dropped.length > 0 || diff.renamed.length > 0 || diff.changed.some((c) => c.change !== 'widened');
}

/** The version after `previous` for `diff`: 1.0 first, minor + 1 for additions and widenings, else major + 1. */
export function nextVersion(
  previous: { readonly major: number; readonly minor: number } | null,
  diff: SchemaDiff,
): { major: number; minor: number } {
  if (previous === null) return { major: 1, minor: 0 };
  return isMajor(diff) ? { major: previous.major + 1, minor: 0 } : { major: previous.major, minor: previous.minor + 1 };
}

/** A digest of the columns' names and types (order and spelling of the type's case do not count). */
export function fingerprintOf(columns: readonly ColumnInfo[]): string {
  const parts = columns.map((c) => `${c.name.toLowerCase()}:${normalizeType(c.type)}`).sort();
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

/** `added x integer; dropped y; renamed a to b; amount widened from integer to bigint`, or `first version`. */
export function diffSummary(diff: SchemaDiff | null): string {
  if (diff === null) return 'first version';
  const parts = [
    ...diff.added.map((c) => `added ${c.name}${c.type ? ` ${c.type}` : ''}`),
    ...diff.dropped.map((c) => `dropped ${c.name}`),
    ...diff.renamed.map((r) => `renamed ${r.from} to ${r.to}`),
    ...diff.changed.map((c) => `${c.column} ${c.change} from ${c.from || '(no type)'} to ${c.to || '(no type)'}`),
  ];
  return parts.length === 0 ? 'no change' : parts.join('; ');
}
