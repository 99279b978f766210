/** SQLite's PRAGMAs as Freshet judges them, shared by the SQLite engine's inspection and the scope check. */

/** Pragmas that only describe the schema: no setting, no connection state, no file system paths. */
export const READ_ONLY_PRAGMAS: ReadonlySet<string> = new Set([
  'table_info',
  'table_xinfo',
  'table_list',
  'index_list',
  'index_info',
  'index_xinfo',
  'foreign_key_list',
  'foreign_key_check',
  'collation_list',
  'function_list',
  'module_list',
  'pragma_list',
]);
