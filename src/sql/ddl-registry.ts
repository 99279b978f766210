/**
 * The statements about the source registry (DESIGN.md §10): SHOW SOURCES, SHOW PARTITIONS OF, SHOW READINESS OF
 * and ALTER SOURCE … SET. A source's name is a (possibly dotted) name or a string literal.
 */
import { DdlReader } from './ddl-reader';
import type { LiteralText, ObjectName, RegistryStatement } from './statements';
import { isWord, type TokenStream, upperWord } from './tokenizer';

/**
 * Whether the leading keywords make this a registry statement. Only `SHOW PARTITIONS OF` is claimed, so that an
 * engine's own `SHOW PARTITIONS t` (Flink, Hive) still reaches it.
 */
export function isRegistryStatement(tokens: TokenStream): boolean {
  const first = upperWord(tokens.peek());
  const second = upperWord(tokens.peek(1));
  if (first === 'ALTER') return second === 'SOURCE';
  if (first !== 'SHOW') return false;
  if (second === 'SOURCES' || second === 'READINESS') return true;
  return second === 'PARTITIONS' && isWord(tokens.peek(2), 'OF');
}

export class RegistryStatementParser extends DdlReader {
  parse(): RegistryStatement {
    if (upperWord(this.next()) === 'ALTER') return this.alterSource();
    const what = upperWord(this.next());
    if (what === 'SOURCES') return this.showSources();
    this.expectKeyword('OF', `OF and a source after SHOW ${what}`);
    return what === 'PARTITIONS' ? this.showPartitions() : this.showReadiness();
  }

  private showSources(): RegistryStatement {
    const like =
      this.acceptKeyword('LIKE') === null
        ? null
        : this.expectString("a pattern as a string literal, such as LIKE 'public.%'").value;
    this.expectEnd();
    return { kind: 'showSources', like, text: this.text };
  }

  private showPartitions(): RegistryStatement {
    const name = this.sourceName();
    let between: { start: LiteralText; end: LiteralText } | null = null;
    if (this.acceptKeyword('BETWEEN') !== null) {
      const start = this.instant('the start of the interval');
      this.expectKeyword('AND', "AND and the end of the interval, as in BETWEEN '2026-01-01' AND '2026-01-02'");
      between = { start, end: this.instant('the end of the interval') };
    }
    this.expectEnd();
    return { kind: 'showPartitions', name, between, text: this.text };
  }

  private showReadiness(): RegistryStatement {
    const name = this.sourceName();
    this.expectKeyword('FOR', "FOR '<start>' TO '<end>' after the name");
    const start = this.instant('the start of the interval');
    this.expectKeyword('TO', "TO and the end of the interval, as in FOR '2026-01-01' TO '2026-01-02'");
    const end = this.instant('the end of the interval');
    this.expectEnd();
    return { kind: 'showReadiness', name, start, end, text: this.text };
  }

  private alterSource(): RegistryStatement {
    this.expectKeyword('SOURCE');
    const name = this.sourceName();
    this.expectKeyword('SET', "SET ('key' = 'value') after the source's name");
    const options = this.options();
    this.expectEnd();
    return { kind: 'alterSource', name, options, text: this.text };
  }

  private sourceName(): ObjectName {
    const token = this.peek();
    if (token.kind === 'string') {
      this.next();
      return { parts: [token.value], position: token.position };
    }
    return this.objectName();
  }

  /** An instant as a string literal, optionally after TIMESTAMP. */
  private instant(what: string): LiteralText {
    this.acceptKeyword('TIMESTAMP');
    const token = this.expectString(`${what} as a string literal, such as '2026-01-31T00:00:00Z'`);
    return { value: token.value, position: token.position };
  }
}
