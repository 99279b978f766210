/**
 * What a pass-through DROP TABLE, ALTER TABLE or RENAME TABLE does to the columns of a table that dynamic tables
 * read, for the check in impact.ts.
 */
import type { Engine } from '../engine/engine';
import { excerpt } from '../errors';
import { readTableChanges } from '../sql/alter-table-changes';
import type { PassthroughStatement } from '../sql/statements';
import type { ResolvedName } from './identifiers';
import { incompatibleTypes, type SchemaChange } from './impact';

export async function sourceChangeOf(
  engine: Engine,
  name: ResolvedName,
  statement: PassthroughStatement,
): Promise<SchemaChange> {
  const description = await engine.describeTable({ database: name.databaseName, name: name.tableName });
  const columns = description?.columns ?? [];
  const base = { key: name.key, identifier: name.identifier, columns };
  if (statement.effect === 'drop') return { ...base, fates: new Map(), tableFate: 'would be dropped' };
  const typeOf = new Map(columns.map((column) => [column.name.toLowerCase(), column.type]));
  const fates = new Map<string, string>();
  let tableFate: string | null = null;
  for (const change of readTableChanges(statement.text)) {
    switch (change.kind) {
      case 'dropColumn':
        fates.set(change.column.toLowerCase(), 'would be dropped');
        break;
      case 'renameColumn':
        fates.set(change.column.toLowerCase(), `would be renamed to ${change.to}`);
        break;
      case 'retypeColumn': {
        const before = typeOf.get(change.column.toLowerCase()) ?? '';
        if (incompatibleTypes(engine, before, change.type)) {
          fates.set(change.column.toLowerCase(), `would change type from ${before} to ${change.type}`);
        }
        break;
      }
      case 'renameTable':
        tableFate = 'would be renamed';
        break;
      case 'unknown':
        tableFate = `would be changed in a way Freshet cannot check (${excerpt(change.text, 60)})`;
        break;
      default:
        break;
    }
  }
  return { ...base, fates, tableFate };
}
