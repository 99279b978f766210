/**
 * Checks a dynamic table's query before anything is written: parsed in the dialect of the catalog it runs on,
 * every source resolved in that catalog, no self-reference, and its output columns described by the engine
 * (which also proves every source exists).
 */
import { translateColumnType } from '../engine/type-mapping';
import { type FreshetError, MissingTableError, placedInScript, validationError } from '../errors';
import { analyzeQueryOffLoop } from '../sql/analysis-thread';
import type { ObjectName, QueryText } from '../sql/statements';
import type { NameDefaults, ResolvedName } from './identifiers';
import type { Namespaces } from './namespaces';
import { type Definition, type DefinitionInput, buildDefinition } from './table-definition';

export interface CheckedQuery {
  /** Keys of the tables the query reads, each once. */
  readonly sourceTables: string[];
  readonly definition: Definition;
}

export async function checkQuery(
  namespaces: Namespaces,
  query: QueryText,
  self: ResolvedName,
  input: Omit<DefinitionInput, 'query'>,
  within: NameDefaults,
): Promise<CheckedQuery> {
  const source = namespaces.engineOf(within.catalogName);
  const target = namespaces.engineOf(self.catalogName);
  if (source !== target && !(source.streaming && target.streaming)) {
    throw validationError(
      `${self.identifier} would copy rows from catalog '${within.catalogName}' (${source.name}) to ` +
        `'${self.catalogName}' (${target.name}), and one of these engines cannot stream rows.`,
    );
  }
  const analysis = await analyzeQueryOffLoop(query, source.dialect);
  const sourceTables: string[] = [];
  for (const table of analysis.sourceTables) {
    const resolved = namespaces.resolveSource(table, within);
    const at = { line: table.position.line, column: table.position.column };
    if (resolved.catalogName !== within.catalogName) {
      throw validationError(
        `The query of ${self.identifier} reads ${resolved.identifier} from catalog '${resolved.catalogName}', but ` +
          `it runs on catalog '${within.catalogName}'. ` +
          `A query reads one catalog: write it in that catalog's names (without the catalog part) and send it ` +
          `with "catalog": "${resolved.catalogName}", or add WITH ('source.catalog' = '${resolved.catalogName}').`,
        at,
      );
    }
    if (resolved.key === self.key) {
      throw validationError(
        `The query of ${self.identifier} reads ${self.identifier} itself; a dynamic table cannot depend on itself.`,
        at,
      );
    }
    if (!sourceTables.includes(resolved.key)) sourceTables.push(resolved.key);
  }
  const described = await buildDefinition(source, { ...input, query: query.text }).catch((error: unknown) => {
    throw missingSourceError(error, analysis.sourceTables) ?? placedInScript(error, query.position);
  });
  if (source === target) return { sourceTables, definition: described };
  const schema = described.schema.map((c) => ({ ...c, type: translateColumnType(c.type, source, target) }));
  return { sourceTables, definition: { ...described, schema } };
}

/** An engine names a missing table in its own words; say it the way the rest of Freshet does, at the table's place. */
function missingSourceError(error: unknown, sources: readonly ObjectName[]): FreshetError | null {
  if (!(error instanceof MissingTableError)) return null;
  const missing = error.table.toLowerCase();
  const bare = missing.slice(missing.lastIndexOf('.') + 1);
  const source = sources.find((s) => {
    const last = (s.parts.at(-1) ?? '').toLowerCase();
    return s.parts.join('.').toLowerCase() === missing || last === missing || last === bare;
  });
  return validationError(`Table '${source ? source.parts.join('.') : error.table}' used in the query does not exist.`, {
    ...(source ? { line: source.position.line, column: source.position.column } : {}),
    cause: error,
  });
}
