/** Finding the dynamic table a statement or a request names, and saying so when it names a plain table. */
import type { Catalog } from '../catalog/catalog';
import type { DynamicTableRecord } from '../catalog/records';
import { notFound, validationError } from '../errors';
import type { ObjectName } from '../sql/statements';
import {
  type NameDefaults,
  type ResolvedName,
  resolveName,
  resolveObjectName,
  splitIdentifierText,
} from './identifiers';
import type { Namespaces } from './namespaces';

export class TableLookup {
  constructor(
    private readonly catalog: Catalog,
    private readonly namespaces: Namespaces,
  ) {}

  async require(name: ObjectName, ns: NameDefaults = this.namespaces.defaults): Promise<DynamicTableRecord> {
    return this.found(resolveObjectName(name, ns));
  }

  /** The table named by identifier text from a URL or a refresh call. */
  async requireText(text: string, ns: NameDefaults = this.namespaces.defaults): Promise<DynamicTableRecord> {
    return this.found(resolveName(splitIdentifierText(text), ns));
  }

  async refuseIfPlainTable(name: ResolvedName): Promise<void> {
    const engine = this.namespaces.engineOf(name.catalogName);
    if (await engine.describeTable({ database: name.databaseName, name: name.tableName })) {
      throw validationError(
        `Table ${name.identifier} is not a dynamic table; DYNAMIC TABLE statements and refreshes apply only to ` +
          `dynamic tables.`,
      );
    }
  }

  private async found(resolved: ResolvedName): Promise<DynamicTableRecord> {
    const table = await this.catalog.getTable(resolved.key);
    if (table) return table;
    await this.refuseIfPlainTable(resolved);
    throw notFound(`Dynamic table ${resolved.identifier} does not exist.`);
  }
}
