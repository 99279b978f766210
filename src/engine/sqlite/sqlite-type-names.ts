/** SQLite's names for portable types: its five storage classes, with dates and times as ISO text. */
import type { PortableTypeFamily, TypeTranslation } from '../engine';
import { commonPortableType } from '../type-mapping';

const NAMES: Readonly<Record<PortableTypeFamily, string>> = {
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
};

/** NUMERIC has no declared digits that SQLite would keep, so a decimal's precision is dropped. */
export const SQLITE_TYPES: TypeTranslation = {
  toPortable: commonPortableType,
  fromPortable: (type) => NAMES[type.family],
};
