/** Flink SQL's names for portable types. */
import type { PortableType, PortableTypeFamily, TypeTranslation } from '../engine';
import { commonPortableType, decimalDigits } from '../type-mapping';

const NAMES: Readonly<Record<PortableTypeFamily, string>> = {
  integer: 'BIGINT',
  float: 'DOUBLE',
  // Flink's DECIMAL without digits is DECIMAL(10, 0); the widest it has keeps fractions.
  decimal: 'DECIMAL(38, 18)',
  boolean: 'BOOLEAN',
  timestamptz: 'TIMESTAMP_LTZ(6)',
  timestamp: 'TIMESTAMP(6)',
  date: 'DATE',
  time: 'TIME',
  binary: 'BYTES',
  json: 'STRING',
  text: 'STRING',
};

const LOCAL_TIMESTAMP = /^timestamp_ltz\b|^timestamp(\(\d+\))? with local time zone/;

/** Flink's own spellings first (TIMESTAMP_LTZ, BYTES), then the usual SQL ones. */
function toPortable(type: string): PortableType {
  const t = type.trim().toLowerCase();
  if (LOCAL_TIMESTAMP.test(t)) return { family: 'timestamptz', precision: null, scale: null };
  if (/^bytes\b/.test(t)) return { family: 'binary', precision: null, scale: null };
  return commonPortableType(t);
}

const withDigits = (type: PortableType) => type.family === 'decimal' && type.precision !== null;

export const FLINK_TYPES: TypeTranslation = {
  toPortable,
  fromPortable: (type) => (withDigits(type) ? `DECIMAL${decimalDigits(type)}` : NAMES[type.family]),
};
