/** MySQL's (and MariaDB's) names for portable types. */
import type { PortableTypeFamily, TypeTranslation } from '../engine';
import { commonPortableType, decimalDigits } from '../type-mapping';

const NAMES: Readonly<Record<PortableTypeFamily, string>> = {
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
};

/** A decimal keeps its declared digits; without them, the widest decimal MySQL has. */
export const MYSQL_TYPES: TypeTranslation = {
  toPortable: commonPortableType,
  fromPortable: (type) => {
    if (type.family === 'decimal' && type.precision !== null) return `decimal${decimalDigits(type)}`;
    return NAMES[type.family];
  },
};
