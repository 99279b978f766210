/**
 * Column types across engines, for dynamic tables whose rows come from another catalog: the source engine names
 * a type in its dialect, the target engine needs one of its own. Each engine translates its own names to and from
 * a {@link PortableType}; this module only composes two engines' translations.
 */
import type { Engine, PortableType, PortableTypeFamily } from './engine';

/** The patterns of the common SQL type names, for engines whose names are the usual ones. */
const FAMILIES: readonly (readonly [RegExp, PortableTypeFamily])[] = [
  [/^(big|small|tiny|medium)?int(eger)?\d*\b|^(big|small)?serial|^int\d/, 'integer'],
  [/^(real|double|float)/, 'float'],
  [/^(numeric|decimal|number)/, 'decimal'],
  [/^bool/, 'boolean'],
  [/^timestamp.*with time zone|^timestamptz/, 'timestamptz'],
  [/^(timestamp|datetime)/, 'timestamp'],
  [/^date$/, 'date'],
  [/^time\b/, 'time'],
  [/^(blob|bytea|(var)?binary|longblob|mediumblob)/, 'binary'],
  [/^jsonb?$/, 'json'],
];

/**
 * The portable type of a type name in the usual SQL spellings (SQLite, PostgreSQL and MySQL names); anything else
 * is text. Engines whose names follow these spellings use it as their {@link TypeTranslation.toPortable}.
 */
export function commonPortableType(type: string): PortableType {
  const t = type.trim().toLowerCase();
  const family = FAMILIES.find(([pattern]) => pattern.test(t))?.[1] ?? 'text';
  const digits = family === 'decimal' ? /\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(t) : null;
  return {
    family,
    precision: digits?.[1] === undefined ? null : Number(digits[1]),
    scale: digits?.[2] === undefined ? null : Number(digits[2]),
  };
}

/** `(p,s)`, `(p)` or '' for a decimal's declared digits. */
export function decimalDigits(type: PortableType): string {
  if (type.precision === null) return '';
  return type.scale === null ? `(${type.precision})` : `(${type.precision},${type.scale})`;
}

/**
 * The target engine's type for a column type of the source engine. Engines that share their type names (two
 * catalogs on the same kind of engine) keep the type as it is.
 */
export function translateColumnType(type: string, from: Engine, to: Engine): string {
  if (from.types === to.types) return type;
  return to.types.fromPortable(from.types.toPortable(type));
}
