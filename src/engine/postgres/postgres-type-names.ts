/** PostgreSQL's names for portable types. */
import type { PortableTypeFamily, TypeTranslation } from '../engine';
import { commonPortableType, decimalDigits } from '../type-mapping';

const NAMES: Readonly<Record<PortableTypeFamily, string>> = {
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
};

/** A decimal keeps its declared digits; without them, `numeric` holds any value exactly. */
export const POSTGRES_TYPES: TypeTranslation = {
  toPortable: commonPortableType,
  fromPortable: (type) => (type.family === 'decimal' ? `numeric${decimalDigits(type)}` : NAMES[type.family]),
};
