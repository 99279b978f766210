/**
 * Parses the statements the gateway owns (CREATE / ALTER / DROP / SHOW / DESCRIBE DYNAMIC TABLE, with
 * MATERIALIZED as a synonym of DYNAMIC, and SHOW REFRESHES) and classifies every other statement as a pass-through for the engine.
 *
 * The defining query after `AS` is not parsed here: it is kept exactly as written and checked by
 * `analyzeQuery` in the engine's dialect. Each statement family has its own module (ddl-create,
 * ddl-alter-drop, ddl-show-describe, ddl-passthrough); this one splits the text and picks the family.
 */
import { AlterDropParser } from './ddl-alter-drop';
import { CreateDynamicTableParser } from './ddl-create';
import { classifyPassthrough } from './ddl-passthrough';
import { isShowFreshness, ShowFreshnessParser } from './ddl-freshness';
import { isRegistryStatement, RegistryStatementParser } from './ddl-registry';
import { DatasetStatementParser, isDatasetStatement } from './ddl-datasets';
import { ShowDescribeParser } from './ddl-show-describe';
import { isTemporaryWord } from './identifiers';
import { splitStatements, type StatementSlice } from './splitter';
import type { Statement } from './statements';
import { isIdentifierToken, isSymbol, lexemes, TokenStream, upperWord } from './tokenizer';

/** Splits `script` into statements and parses each; positions refer to the whole script. */
export function parseScript(script: string): Statement[] {
  return splitStatements(script).map(parseStatement);
}

/** Parses one statement; a statement the gateway does not own becomes a `passthrough`. */
export function parseStatement(slice: StatementSlice): Statement {
  const text = slice.text.slice(0, endBeforeTrailingSemicolon(slice.text)).trimEnd();
  const explained = EXPLAINED_TABLE_CHANGE.exec(text);
  if (explained !== null) {
    const prefix = explained[0];
    const change = parseStatement({ text: slice.text.slice(prefix.length), position: advance(slice.position, prefix) });
    if (change.kind === 'passthrough') return { kind: 'explainTableChange', change, text };
  }
  const tokens = new TokenStream(slice.text, slice.position, text.length);
  if (isRegistryStatement(tokens)) return new RegistryStatementParser(tokens, text).parse();
  if (isShowFreshness(tokens)) return new ShowFreshnessParser(tokens, text).parse();
  if (isDatasetStatement(tokens)) return new DatasetStatementParser(tokens, text).parse();
  if (!isDynamicTableStatement(tokens) && !isPlainShowOrDescribe(tokens))
    return classifyPassthrough(tokens, text, slice.position);
  return parseDynamicTableStatement(tokens, text);
}

/** `EXPLAIN` before a change of a plain table: Freshet explains its impact on dynamic tables (see ExplainTableChange). */
const EXPLAINED_TABLE_CHANGE = /^\s*EXPLAIN\s+(?=(?:ALTER|DROP|RENAME)\s+TABLE\b)/i;

/** The position just after `text`, written from `from`. */
function advance(from: StatementSlice['position'], text: string): StatementSlice['position'] {
  const lines = text.split('\n');
  const last = lines[lines.length - 1] ?? '';
  return {
    offset: from.offset + text.length,
    line: from.line + lines.length - 1,
    column: lines.length === 1 ? from.column + text.length : last.length + 1,
  };
}

/** Where the statement ends when it was handed over with its closing `;` still attached. */
function endBeforeTrailingSemicolon(text: string): number {
  let last: { start: number; isSemicolon: boolean } | undefined;
  for (const lexeme of lexemes(text)) {
    if (lexeme.kind === 'whitespace' || lexeme.kind === 'lineComment' || lexeme.kind === 'blockComment') continue;
    last = { start: lexeme.start, isSemicolon: lexeme.kind === 'symbol' && text[lexeme.start] === ';' };
  }
  return last?.isSemicolon === true ? last.start : text.length;
}

/**
 * Whether the leading keywords make this one of ours. `MATERIALIZED` counts only before TABLE(S), so that
 * PostgreSQL's own `CREATE / REFRESH / DROP MATERIALIZED VIEW` still reach the engine.
 */
function isDynamicTableStatement(tokens: TokenStream): boolean {
  const words = [0, 1, 2, 3, 4, 5].map((ahead) => upperWord(tokens.peek(ahead)));
  const namesDynamicTable = (index: number) =>
    words[index] === 'DYNAMIC' ||
    (words[index] === 'MATERIALIZED' && (words[index + 1] === 'TABLE' || words[index + 1] === 'TABLES'));
  switch (words[0]) {
    case 'CREATE': {
      const afterOr = words[1] === 'OR' ? 3 : 1;
      return namesDynamicTable(isTemporaryWord(words[afterOr]) ? afterOr + 1 : afterOr);
    }
    case 'EXPLAIN':
      if (words[1] === 'ALTER') return namesDynamicTable(2);
      return words[1] === 'CREATE' && namesDynamicTable(words[2] === 'OR' ? 4 : 2);
    case 'DROP':
      return namesDynamicTable(isTemporaryWord(words[1]) ? 2 : 1);
    case 'SHOW':
      return (
        words[1] === 'REFRESHES' ||
        (words[1] === 'SCHEMA' && words[2] === 'HISTORY') ||
        namesDynamicTable(words[1] === 'CREATE' ? 2 : 1)
      );
    case 'ALTER':
    case 'DESCRIBE':
    case 'DESC':
      return namesDynamicTable(1);
    default:
      return false;
  }
}

/**
 * `SHOW TABLES [LIKE '…']` and `DESCRIBE [TABLE] name`: the gateway answers them itself, the same on every engine
 * and without Freshet's internal tables. Other forms (`SHOW TABLES FROM db`, MySQL's `DESCRIBE t col`,
 * `DESCRIBE SELECT …`) still reach the engine.
 */
function isPlainShowOrDescribe(tokens: TokenStream): boolean {
  const first = upperWord(tokens.peek());
  if (first === 'SHOW') {
    if (upperWord(tokens.peek(1)) !== 'TABLES') return false;
    const end = tokens.peek(2).kind === 'end';
    return (
      end || (upperWord(tokens.peek(2)) === 'LIKE' && tokens.peek(3).kind === 'string' && tokens.peek(4).kind === 'end')
    );
  }
  if (first !== 'DESCRIBE' && first !== 'DESC') return false;
  let at = upperWord(tokens.peek(1)) === 'TABLE' ? 2 : 1;
  for (let part = 0; part < 3; part++) {
    if (!isIdentifierToken(tokens.peek(at))) return false;
    if (tokens.peek(at + 1).kind === 'end') return true;
    if (!isSymbol(tokens.peek(at + 1), '.')) return false;
    at += 2;
  }
  return false;
}

/** Hands the statement to the parser of its family, chosen by its first keyword. */
function parseDynamicTableStatement(tokens: TokenStream, text: string): Statement {
  switch (upperWord(tokens.peek())) {
    case 'CREATE':
      return new CreateDynamicTableParser(tokens, text).parse();
    case 'ALTER':
    case 'DROP':
      return new AlterDropParser(tokens, text).parse();
    default:
      return new ShowDescribeParser(tokens, text).parse();
  }
}
