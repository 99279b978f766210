/**
 * DROP DYNAMIC TABLE: refused while other dynamic tables read it; the workflow (or continuous job) goes first,
 * so that if it cannot be stopped the table stays whole and the DROP can be repeated.
 */
import type { DynamicTableRecord } from '../catalog/records';
import { invalidState, notFound } from '../errors';
import type { DropDynamicTable } from '../sql/statements';
import { BlockedResults } from './blocked-results';
import { dependantsOf } from './dependencies';
import { type NameDefaults, resolveObjectName } from './identifiers';
import type { ManagerParts } from './manager-parts';
import type { DdlOutcome } from './manager-types';

export async function dropTable(parts: ManagerParts, stmt: DropDynamicTable, ns: NameDefaults): Promise<DdlOutcome> {
  const { catalog, lookup, workflows, continuous, runner, namespaces } = parts;
  const name = resolveObjectName(stmt.name, ns);
  const table = await catalog.getTable(name.key);
  if (!table) {
    await lookup.refuseIfPlainTable(name);
    if (stmt.ifExists) {
      return {
        message: `Dynamic table ${name.identifier} does not exist; nothing dropped.`,
        identifier: name.identifier,
      };
    }
    throw notFound(`Dynamic table ${name.identifier} does not exist.`);
  }
  if (table.refreshStatus === 'INITIALIZING') {
    throw invalidState(
      `Dynamic table ${table.identifier} is still being created; try again when its CREATE has finished.`,
    );
  }
  const dependants = await dependantsOf(catalog, table.key);
  if (dependants.length > 0) {
    throw invalidState(
      `Cannot drop ${table.identifier}: dynamic table(s) ${dependants.join(', ')} read from it. Drop or alter ` +
        `them first.`,
    );
  }
  if (table.refreshHandler) await workflows.delete(table, table.refreshHandler);
  await continuous.stop(table);
  await runner.exclusive(table.key, async () => {
    await new BlockedResults(parts).forgetTable(table);
    await namespaces.engineOf(table.catalogName).dropTable({ database: table.databaseName, name: table.tableName });
    await forget(parts, table);
  });
  return { message: `Dynamic table ${table.identifier} dropped.`, identifier: table.identifier };
}

/**
 * Removes everything the catalog holds about a table (its staged results went with the physical table): history, callback tokens, the source it published its windows
 * as, the record itself.
 */
async function forget(parts: ManagerParts, table: DynamicTableRecord): Promise<void> {
  await parts.catalog.deleteHistoryOfTable(table.key);
  if ((await parts.catalog.registry.getSource(table.key))?.kind === 'dynamic') {
    await parts.catalog.registry.deleteSource(table.key);
  }
  await parts.catalog.deleteCallbackTokens(table.key);
  await parts.catalog.deleteTable(table.key);
}
