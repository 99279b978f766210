/** Read-only lookups that page through DolphinScheduler's listings, and the codes and ids in its answers. */
import { schedulerError } from '../../src/plugin-api';
import type { DolphinSchedulerClient } from './ds-client';
import { dsPaths } from './ds-paths';

export type RawObject = Record<string, unknown>;

const PAGE_SIZE = 100;
/** A guard against a server whose paging never ends. */
const MAX_PAGES = 1000;

interface Page {
  readonly totalList?: unknown;
  readonly total?: unknown;
}

/** Every item of a paged listing (`pageNo`, `pageSize` → `{totalList, total}`). */
export async function listAll(
  client: DolphinSchedulerClient,
  path: string,
  action: string,
  params: Readonly<Record<string, string>> = {},
): Promise<RawObject[]> {
  const items: RawObject[] = [];
  for (let pageNo = 1; pageNo <= MAX_PAGES; pageNo += 1) {
    const page = await client.call<Page | null>('GET', path, { ...params, pageNo, pageSize: PAGE_SIZE }, action);
    const list = Array.isArray(page?.totalList) ? (page.totalList as RawObject[]) : [];
    items.push(...list);
    const total = typeof page?.total === 'number' ? page.total : items.length;
    if (list.length < PAGE_SIZE || items.length >= total) break;
  }
  return items;
}

/** The code of the project named exactly `name` (the search is a substring match), or null. */
export async function findProject(client: DolphinSchedulerClient, name: string): Promise<string | null> {
  const projects = await listAll(client, dsPaths.projects(), `look up project ${name}`, { searchVal: name });
  const project = projects.find((p) => p.name === name);
  if (project === undefined) return null;
  const code = project.code;
  return typeof code === 'number' ? String(code) : typeof code === 'string' ? code : null;
}

/** DolphinScheduler's codes are longs; today's stay below 2^53, so JSON numbers carry them exactly. */
export function codeOf(value: unknown, what: string): string {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  throw schedulerError(`DolphinScheduler answered without a usable ${what} (${JSON.stringify(value)}).`);
}

/** The id of a schedule in an answer. */
export function idOf(schedule: RawObject): number {
  const id = schedule.id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
  throw schedulerError(`DolphinScheduler answered without a schedule id (${JSON.stringify(schedule)}).`);
}
