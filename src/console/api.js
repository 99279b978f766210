/**
 * The console's only way to the gateway: its public REST API, with the user's bearer token when one was entered.
 * The token lives in sessionStorage (this tab, until it closes), under the key /docs uses too.
 */

const TOKEN_KEY = 'freshet-token';

/** An answer that is not a success: `status` and the gateway's error `code` and `message`. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export function storedToken() {
  return window.sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token) {
  if (token) window.sessionStorage.setItem(TOKEN_KEY, token);
  else window.sessionStorage.removeItem(TOKEN_KEY);
}

/** The API's URL for `route` (`v3/jobs`): relative to the page, so a gateway behind a path prefix works too. */
function urlOf(route, query) {
  const url = new URL(`../${route}`, document.baseURI);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  return url;
}

/**
 * Calls the API and answers its JSON. Anything but 2xx throws an {@link ApiError}; a 401 is the page's cue to ask
 * for a token.
 */
export async function call(method, route, { query, body } = {}) {
  const headers = { accept: 'application/json' };
  const token = storedToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(urlOf(route, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(0, 'UNREACHABLE', `The gateway did not answer: ${error.message}`);
  }
  const text = await res.text();
  let json = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  if (res.ok) return json;
  const error = json?.error;
  throw new ApiError(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? (text || res.statusText));
}

export const get = (route, query) => call('GET', route, { query });

/** Every page of a paged list (`{<key>: [...], nextOffset?}`), up to `max` items. */
export async function getAll(route, key, { limit = 1000, max = 10000 } = {}) {
  const items = [];
  let offset = 0;
  while (items.length < max) {
    const page = await get(route, { limit, offset });
    items.push(...page[key]);
    if (page.nextOffset === undefined) break;
    offset = page.nextOffset;
  }
  return items;
}

/** `GET`, or null when the gateway answers 404 (a table never reflected, a table not registered as a source). */
export async function getOrNull(route, query) {
  try {
    return await get(route, query);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/** Runs SQL statements (`ALTER DYNAMIC TABLE … SUSPEND`): the REST API has no other route for them. */
export function runSql(statement) {
  return call('POST', 'v3/statements', { body: { statement } });
}

/** Asks for a refresh now; answers the job id. */
export async function requestRefresh(table) {
  const answer = await call('POST', 'v3/dynamic-tables/refresh', { body: { tables: [table] } });
  return answer.jobId;
}

const SETTLED = new Set(['SUCCEEDED', 'FAILED', 'SKIPPED', 'UPSTREAM_FAILED', 'BLOCKED', 'NOT_READY']);

/** Polls a job until it settles (or `timeoutMs` passes); answers the job as last seen. */
export async function waitForJob(jobId, timeoutMs = 120000) {
  const until = Date.now() + timeoutMs;
  let job = await get(`v3/jobs/${encodeURIComponent(jobId)}`);
  while (!SETTLED.has(job.status) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    job = await get(`v3/jobs/${encodeURIComponent(jobId)}`);
  }
  return job;
}
