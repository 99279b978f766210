/**
 * What a pass-through statement would do on Flink, read from its tokens (the SQL Gateway has no way to plan a
 * statement without submitting it): the tables of `INSERT INTO`/`INSERT OVERWRITE`, also inside a statement set
 * (`EXECUTE STATEMENT SET BEGIN … END`), of `UPDATE`, `DELETE`, `TRUNCATE`, `ALTER`, `DROP`, and of
 * `CREATE OR REPLACE TABLE`/`REPLACE TABLE … AS`. Session state cannot leak (every call has its own session);
 * what reaches files is refused: `COMPILE PLAN '<file>'` writes one, `EXECUTE PLAN '<file>'` runs one, and
 * `ADD JAR` or a function `USING JAR` loads code from one.
 */
import type { StatementEffects, TableRef } from '../engine';
import { type LexerRules, type SqlToken, lexStatement } from '../statement-lexer';
import { type NameParts, hasWords, writtenNames } from '../statement-writes';

export const FLINK_LEXER: LexerRules = {
  hashComments: false,
  dashCommentNeedsSpace: false,
  nestedComments: false,
  executableComments: false,
  backslashStrings: false,
  dollarQuotes: false,
  doubleQuotedStrings: false,
  foldToLowerCase: false,
};

/** The catalog Flink's SQL Gateway makes current when none is configured. */
const GATEWAY_DEFAULT_CATALOG = 'default_catalog';

function flinkEscape(tokens: readonly SqlToken[]): string | null {
  if (hasWords(tokens, 'COMPILE', 'PLAN')) return 'COMPILE PLAN';
  if (hasWords(tokens, 'EXECUTE', 'PLAN')) return 'EXECUTE PLAN';
  if (hasWords(tokens, 'ADD', 'JAR')) return 'ADD JAR';
  if (hasWords(tokens, 'USING', 'JAR')) return 'CREATE FUNCTION … USING JAR';
  return null;
}

/** Where a name points: `cat.db.t` in another catalog keeps its catalog in `database`. */
function resolve(parts: NameParts, catalog: string, database: string): TableRef {
  const name = parts[parts.length - 1] as string;
  if (parts.length === 1) return { database, name };
  const db = parts[parts.length - 2] as string;
  const named = parts.length > 2 ? (parts[parts.length - 3] as string) : catalog;
  return { database: named === catalog ? db : `${named}.${db}`, name };
}

/** See the file comment; `catalog` is the configured one (absent: the gateway's default). */
export function inspectFlinkStatement(sql: string, catalog: string | undefined, database: string): StatementEffects {
  const tokens = lexStatement(sql, FLINK_LEXER);
  const current = catalog ?? GATEWAY_DEFAULT_CATALOG;
  const seen = new Map<string, TableRef>();
  for (const parts of writtenNames(tokens)) {
    const table = resolve(parts, current, database);
    seen.set(JSON.stringify([table.database, table.name]), table);
  }
  return { writes: [...seen.values()], escapes: flinkEscape(tokens) };
}
