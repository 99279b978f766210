/** Which dynamic tables read which: the edges come from each table's recorded source tables. */
import type { Catalog } from '../catalog/catalog';

/** Identifiers of the dynamic tables whose query reads `key`. */
export async function dependantsOf(catalog: Catalog, key: string): Promise<string[]> {
  return (await catalog.listTables()).filter((t) => t.sourceTables.includes(key)).map((t) => t.identifier);
}

/** Every table downstream of `key`, transitively (keys). */
export async function downstreamOf(catalog: Catalog, key: string): Promise<string[]> {
  const all = await catalog.listTables();
  const found = new Set<string>();
  const visit = (k: string) => {
    for (const t of all) {
      if (t.sourceTables.includes(k) && !found.has(t.key)) {
        found.add(t.key);
        visit(t.key);
      }
    }
  };
  visit(key);
  return [...found];
}
