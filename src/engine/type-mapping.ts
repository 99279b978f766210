/**
 * Column types across engines, for dynamic tables whose rows come from another catalog: the source engine names
 * a type in its dialect, the target engine needs one of its own. Types map by family; precision is kept where both
 * sides have it, and anything unknown becomes text (every engine can hold any value as text).
 */
import type { SqlDialect } from './engine';

type Family = 'integer' | 'float' | 'decimal' | 'boolean' | 'timestamptz' | 'timestamp' | 'date' | 'time' | 'binary' | 'json' | 'text';

function familyOf(type: string): { family: Family; precision: string } {
  const t = type.trim().toLowerCase();
  const precision = /\(\s*\d+\s*(,\s*\d+\s*)?\)/.exec(t)?.[0].replace(/\s+/g, '') ?? '';
  if (/^(big|small|tiny|medium)?int(eger)?\d*\b|^(big|small)?serial|^int\d/.test(t)) return { family: 'integer', precision: '' };
  if (/^(real|double|float)/.test(t)) return { family: 'float', precision: '' };
  if (/^(numeric|decimal|number)/.test(t)) return { family: 'decimal', precision };
  if (/^bool/.test(t)) return { family: 'boolean', precision: '' };
  if (/^timestamp.*with time zone|^timestamptz/.test(t)) return { family: 'timestamptz', precision: '' };
  if (/^(timestamp|datetime)/.test(t)) return { family: 'timestamp', precision: '' };
  if (/^date$/.test(t)) return { family: 'date', precision: '' };
  if (/^time\b/.test(t)) return { family: 'time', precision: '' };
  if (/^(blob|bytea|(var)?binary|longblob|mediumblob)/.test(t)) return { family: 'binary', precision: '' };
  if (/^jsonb?$/.test(t)) return { family: 'json', precision: '' };
  return { family: 'text', precision: '' };
}

const NAMES: Readonly<Record<SqlDialect, Readonly<Record<Family, string>>>> = {
  sqlite: {
    integer: 'INTEGER',
    float: 'REAL',
    decimal: 'NUMERIC',
    boolean: 'INTEGER',
    timestamptz: 'TEXT',
    timestamp: 'TEXT',
    date: 'TEXT',
    time: 'TEXT',
    binary: 'BLOB',
    json: 'TEXT',
    text: 'TEXT',
  },
  postgresql: {
    integer: 'bigint',
    float: 'double precision',
    decimal: 'numeric',
    boolean: 'boolean',
    timestamptz: 'timestamp with time zone',
    timestamp: 'timestamp',
    date: 'date',
    time: 'time',
    binary: 'bytea',
    json: 'jsonb',
    text: 'text',
  },
  mysql: {
    integer: 'bigint',
    float: 'double',
    decimal: 'decimal(65,30)',
    boolean: 'boolean',
    timestamptz: 'datetime(6)',
    timestamp: 'datetime(6)',
    date: 'date',
    time: 'time(6)',
    binary: 'longblob',
    json: 'json',
    text: 'longtext',
  },
};

/** The target dialect's type for a source column type; the same dialect keeps the type as it is. */
export function portableType(type: string, from: SqlDialect, to: SqlDialect): string {
  if (from === to) return type;
  const { family, precision } = familyOf(type);
  if (family === 'decimal' && precision !== '' && to !== 'sqlite') return `${to === 'mysql' ? 'decimal' : 'numeric'}${precision}`;
  return NAMES[to][family];
}
