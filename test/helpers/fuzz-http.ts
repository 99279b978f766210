/**
 * Generated bad requests for every REST route, as small descriptions (`HttpCase`) rendered by `renderRequest`, so
 * that a counterexample prints short whatever the size of what was sent.
 */
import fc from 'fast-check';
import type { RawRequest } from './fuzz-gateway';
import { renderSql, type SqlCase } from './fuzz-sql';

/** The tokens the fuzzed gateway knows; `read` is undefined when the gateway has no read scope. */
export interface FuzzTokens {
  readonly admin: string;
  readonly callback: string;
  readonly read: string | undefined;
}

/** Who sends a request: a valid token of a scope, or one of many bad Authorization headers. */
export type AuthCase =
  | { readonly t: 'admin' | 'callback' | 'read' }
  | { readonly t: 'none' }
  | { readonly t: 'header'; readonly value: string }
  | { readonly t: 'mangled'; readonly how: number };

const BAD_AUTH: readonly string[] = [
  '',
  'Bearer',
  'Bearer ',
  'Bearer  ',
  'bearer',
  'Basic YWRtaW46YWRtaW4=',
  'Token abc',
  'Bearer null',
  'Bearer undefined',
  'Bearer a b',
  'Bearer "x"',
  'Bearer \t',
  `Bearer ${'x'.repeat(6000)}`,
  'Bearer ÿþ',
  'Digest username="a"',
];

function mangle(token: string, how: number): string {
  switch (how % 8) {
    case 0:
      return `Bearer ${token}x`;
    case 1:
      return `Bearer ${token.slice(0, -1)}`;
    case 2:
      return `Bearer ${token.toUpperCase()}`;
    case 3:
      return `${token}`;
    case 4:
      return `Bearer ${token} ${token}`;
    case 5:
      return `Bearer${token}`;
    case 6:
      return `Bearer ${encodeURIComponent(`${token}/`)}`;
    default:
      return `Bearer ${Buffer.from(token).toString('base64')}`;
  }
}

export function authHeader(auth: AuthCase, tokens: FuzzTokens): Record<string, string> {
  switch (auth.t) {
    case 'admin':
      return { authorization: `Bearer ${tokens.admin}` };
    case 'callback':
      return { authorization: `Bearer ${tokens.callback}` };
    case 'read':
      return { authorization: `Bearer ${tokens.read ?? tokens.callback}` };
    case 'none':
      return {};
    case 'header':
      return { authorization: auth.value };
    case 'mangled':
      return { authorization: mangle(tokens.admin, auth.how) };
  }
}

export function authCase(): fc.Arbitrary<AuthCase> {
  return fc.oneof(
    fc.record({ t: fc.constantFrom('admin', 'callback', 'read') as fc.Arbitrary<'admin' | 'callback' | 'read'> }),
    fc.constant({ t: 'none' as const }),
    fc.record({
      t: fc.constant('header' as const),
      value: fc.oneof(fc.constantFrom(...BAD_AUTH), fc.string({ maxLength: 40 }).map(latin1)),
    }),
    fc.record({ t: fc.constant('mangled' as const), how: fc.nat({ max: 7 }) }),
  );
}

/** Header values must be Latin-1 without control characters, or the client refuses to send them. */
function latin1(text: string): string {
  return text.replace(/[^\t\x20-\x7e\xa0-\xff]/g, '?');
}

/** What a POST body is. `sql` and `json` are JSON objects; the rest are raw text. */
export type BodyCase =
  | { readonly t: 'sql'; readonly sql: SqlCase }
  | { readonly t: 'json'; readonly value: unknown }
  | { readonly t: 'raw'; readonly text: string }
  | { readonly t: 'deep'; readonly n: number; readonly open: '[' | '{"a":' }
  | { readonly t: 'oversized'; readonly bytes: number }
  | { readonly t: 'bytes'; readonly hex: string };

const RAW_BODIES: readonly string[] = [
  '',
  ' ',
  '\n',
  'null',
  'true',
  '0',
  '"SELECT 1"',
  '[]',
  '{}',
  '{',
  '}',
  '{"statement":',
  '{"statement": "SELECT 1"',
  "{'statement': 'SELECT 1'}",
  '{"statement": "SELECT 1",}',
  '{"statement": "SELECT 1"} trailing',
  '{"statement": "SELECT \\u0000 1"}',
  '{"statement": "\\ud800"}',
  '{"statement": 1e999}',
  '{"statement": "SELECT 1", "statement": "SELECT 2"}',
  '{"__proto__": {"statement": "SELECT 1"}}',
  '{"constructor": {"prototype": {"admin": true}}}',
  '\ufeff{"statement": "SELECT 1"}',
  'statement=SELECT+1',
  '<statement>SELECT 1</statement>',
  '{"tables": ["dt"]}',
  '{"tables": "dt", "scheduleTime": "2024-01-01 00:00:00"}',
];

export function bodyCase(json: fc.Arbitrary<unknown>): fc.Arbitrary<BodyCase> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.record({ t: fc.constant('json' as const), value: json }) },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('raw' as const),
        text: fc.oneof(fc.constantFrom(...RAW_BODIES), fc.string({ maxLength: 60 })),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('deep' as const),
        n: fc.integer({ min: 10, max: 200_000 }),
        open: fc.constantFrom('[', '{"a":') as fc.Arbitrary<'[' | '{"a":'>,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('oversized' as const),
        bytes: fc.integer({ min: 1024 * 1024 - 64, max: 3 * 1024 * 1024 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('bytes' as const),
        hex: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('hex')),
      }),
    },
  );
}

export function renderBody(body: BodyCase): string | Buffer {
  switch (body.t) {
    case 'sql':
      return JSON.stringify({ statement: renderSql(body.sql) });
    case 'json':
      return JSON.stringify(body.value) ?? 'undefined';
    case 'raw':
      return body.text;
    case 'deep':
      return `${body.open.repeat(body.n)}1${(body.open === '[' ? ']' : '}').repeat(body.n)}`;
    case 'oversized':
      return JSON.stringify({ statement: `SELECT '${'x'.repeat(body.bytes)}'` });
    case 'bytes':
      return Buffer.from(body.hex, 'hex');
  }
}

/** Content types and encodings a client may label a body with; the gateway reads every body as JSON. */
export const CONTENT_HEADERS: ReadonlyArray<Record<string, string>> = [
  { 'content-type': 'application/json' },
  {},
  { 'content-type': 'text/plain' },
  { 'content-type': 'application/x-www-form-urlencoded' },
  { 'content-type': 'multipart/form-data; boundary=x' },
  { 'content-type': 'application/json; charset=utf-16' },
  { 'content-type': 'application/json; charset=nonsense' },
  { 'content-type': 'application/json; charset=latin1' },
  { 'content-type': 'application/octet-stream' },
  { 'content-type': '*/*' },
  { 'content-type': ';;;' },
  { 'content-type': 'application/json', 'content-encoding': 'gzip' },
  { 'content-type': 'application/json', 'content-encoding': 'deflate' },
  { 'content-type': 'application/json', 'content-encoding': 'br' },
  { 'content-type': 'application/json', 'content-encoding': 'nonsense' },
];

/**
 * True when the body is labelled so that the gateway reads it as sent: no content encoding and no charset. A body
 * claiming gzip or UTF-16 that is neither may be refused for that before its statements are looked at.
 */
export function readableAsSent(content: number): boolean {
  const headers = CONTENT_HEADERS[content % CONTENT_HEADERS.length] ?? {};
  return headers['content-encoding'] === undefined && !/charset=/i.test(headers['content-type'] ?? '');
}

/** Odd JSON values, the kinds a careless client sends where a string or object belongs. */
export const oddJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, '', ' ', [], {}, [''], [null], ['dt', 1], { dt: 1 }),
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null)), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean()), {
    maxKeys: 3,
  }),
);

/** Query strings, ids and path segments with odd characters and encodings. */
export const oddSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'dt',
    'main.dt',
    'default.main.dt',
    'default.main.dt.x',
    'DT',
    'nope',
    '.',
    '..',
    '...',
    '%2e%2e',
    '%2E%2E%2F%2E%2E',
    '%',
    '%zz',
    '%E0%A4%A',
    '%00',
    '%0a',
    '%ff%fe',
    '%C0%AF',
    '%F0%9F%92%A9',
    'dt%2Frefreshes',
    'dt;drop',
    "dt'--",
    'dt%27%20OR%201%3D1',
    '__proto__',
    'constructor',
    'hasOwnProperty',
    '%20',
    '+',
    '~',
    '*',
    'main.%22dt%22',
    '%5Bdt%5D',
    '0',
    '-1',
    '9007199254740993',
    'NaN',
    '00000000-0000-0000-0000-000000000000',
  ),
  fc.string({ maxLength: 30 }).map((s) => encodeURIComponent(s)),
  fc.string({ unit: 'binary', maxLength: 12 }).map(pathSafe),
  fc.integer({ min: 100, max: 4000 }).map((n) => 'a'.repeat(n)),
);

/** Keeps what Node's client allows in a path (0x21–0xff), percent-encoding anything else. */
export function pathSafe(text: string): string {
  return text.replace(/[^\x21-\x7e]/gu, (ch) => {
    try {
      return encodeURIComponent(ch);
    } catch {
      return '%ED%A0%80'; // a lone surrogate, as the bytes a careless client would send
    }
  });
}

/** A GET (or other method) of a path built from the routes and odd segments. */
export interface PathCase {
  readonly method: string;
  readonly template: number;
  readonly a: string;
  readonly b: string;
  readonly auth: AuthCase;
}

const PATHS: readonly string[] = [
  '/v3/dynamic-tables/{a}',
  '/v3/dynamic-tables/{a}/refreshes',
  '/v3/dynamic-tables/{a}/refreshes?limit={b}',
  '/v3/dynamic-tables?limit={a}&offset={b}',
  '/v3/dynamic-tables?limit={a}&limit={b}',
  '/v3/dynamic-tables?offset[]={a}',
  '/v3/jobs/{a}',
  '/v3/jobs/{a}/{b}',
  '/v3/scheduler/drift?{a}={b}',
  '/v3/dynamic-tables/refresh?wait={a}',
  '/v3/{a}',
  '/{a}/{b}',
  '/v3/dynamic-tables/{a}/{b}',
  '//v3//dynamic-tables//{a}',
  '/v3/../health/{a}',
  '/V3/DYNAMIC-TABLES/{a}',
  '/v3/dynamic-tables/{a}#frag',
  '/health?{a}={b}',
  '/health/{a}',
  '/v3/statements/{a}',
  '*',
];

export function pathCase(): fc.Arbitrary<PathCase> {
  return fc.record({
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant('GET') },
      {
        weight: 1,
        arbitrary: fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'M-SEARCH'),
      },
    ),
    template: fc.nat({ max: PATHS.length - 1 }),
    a: oddSegment,
    b: oddSegment,
    auth: fc.oneof(
      { weight: 3, arbitrary: fc.constant({ t: 'admin' } as AuthCase) },
      { weight: 1, arbitrary: authCase() },
    ),
  });
}

export function renderPath(c: PathCase, tokens: FuzzTokens): RawRequest {
  const template = PATHS[c.template % PATHS.length]!;
  return {
    method: c.method,
    path: template.replace('{a}', c.a).replace('{b}', c.b),
    headers: authHeader(c.auth, tokens),
  };
}

/** A POST /v3/statements request. */
export interface StatementCase {
  readonly body: BodyCase;
  readonly content: number;
  readonly auth: AuthCase;
}

const statementJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ statement: oddJson }),
  fc.record({ statement: fc.constant('SELECT 1'), catalog: oddJson }),
  fc.record({
    statement: fc.constant('SELECT * FROM dt'),
    database: oddJson,
    catalog: fc.constantFrom('default', 'nope', ''),
  }),
  fc.record({ statement: fc.constant('SELECT 1'), extra: oddJson }),
  oddJson,
);

/**
 * Statement requests: with `sql`, bodies carrying those statements; without, odd JSON and malformed bodies.
 * A share of them go out with other tokens than admin's (read's when the gateway has that scope).
 */
export function statementCase(readScope: boolean, sql?: fc.Arbitrary<SqlCase>): fc.Arbitrary<StatementCase> {
  return fc.record({
    body: sql === undefined ? bodyCase(statementJson) : fc.record({ t: fc.constant('sql' as const), sql }),
    content: fc.oneof(
      { weight: 6, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.nat({ max: CONTENT_HEADERS.length - 1 }) },
    ),
    auth: fc.oneof(
      { weight: 8, arbitrary: fc.constant({ t: 'admin' } as AuthCase) },
      { weight: readScope ? 2 : 0, arbitrary: fc.constant({ t: 'read' } as AuthCase) },
      { weight: 1, arbitrary: authCase() },
    ),
  });
}

export function renderStatement(c: StatementCase, tokens: FuzzTokens): RawRequest {
  return {
    method: 'POST',
    path: '/v3/statements',
    headers: { ...CONTENT_HEADERS[c.content % CONTENT_HEADERS.length], ...authHeader(c.auth, tokens) },
    body: renderBody(c.body),
  };
}

/** A POST /v3/dynamic-tables/refresh request. */
export interface RefreshCase {
  readonly body: BodyCase;
  readonly wait: string | undefined;
  readonly content: number;
  readonly auth: AuthCase;
}

const tablesValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('dt', 'main.dt', 'default.main.dt', 'nope', 'dt,nope', ',,,', ' , dt', 'dt,dt', 'src', 'scratch'),
  fc.constantFrom(['dt'], ['nope'], ['dt', 'nope'], ['dt', 'dt'], ['src'], [''], ['dt', 1], [['dt']], [{ name: 'dt' }]),
  oddJson,
);

const scheduleTime: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    '2024-01-01 00:00:00',
    '2024-02-30 00:00:00',
    '2024-13-01 00:00:00',
    '2024-01-01 24:00:00',
    '2024-01-01 23:59:60',
    '2024-01-01',
    '00:00:00',
    '0000-01-01 00:00:00',
    '9999-12-31 23:59:59',
    '275760-09-13 00:00:00',
    '2024-01-01T00:00:00+99:99',
    '2024-01-01T00:00:00Z',
    '2024-03-31 02:30:00',
    '2024-01-01 00:00:00.999999999',
    '1e10',
    '-1',
    'now',
    'yesterday',
    '2024-01-01 00:00:00; DROP TABLE dt',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  oddJson,
);

const timeZone: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    'UTC',
    'Europe/Berlin',
    'Mars/Olympus_Mons',
    'UTC+25',
    'UTC+14',
    'GMT-99',
    '+99:00',
    'Etc/GMT+13',
    'local',
    'system',
    '../../../etc/passwd',
    'America/Argentina/ComodRivadavia',
    'utc',
    'Z',
  ),
  oddJson,
);

const refreshJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      tables: tablesValue,
      scheduleTime,
      timeZone,
      configuration: oddJson,
      dynamicOptions: oddJson,
      executionConfig: oddJson,
      isPeriodic: oddJson,
      staticPartitions: oddJson,
      unknownKey: oddJson,
    },
    { requiredKeys: [] },
  ),
  fc.record({ tables: tablesValue }),
  fc.record({ tables: fc.constant('dt'), scheduleTime, timeZone }),
  oddJson,
);

/** `?wait=` values: invalid ones, and valid ones short enough that an answer within 2 s is owed. */
const waitValue = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    '',
    '-1',
    'NaN',
    'Infinity',
    '1e309',
    'abc',
    '0x10',
    '%201',
    '3601',
    '99999999',
    '1&wait=2',
    '%00',
    '0',
    '1',
  ),
);

export function refreshCase(): fc.Arbitrary<RefreshCase> {
  return fc.record({
    body: fc.oneof(
      { weight: 5, arbitrary: fc.record({ t: fc.constant('json' as const), value: refreshJson }) },
      { weight: 1, arbitrary: bodyCase(refreshJson) },
    ),
    wait: waitValue,
    content: fc.oneof(
      { weight: 6, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.nat({ max: CONTENT_HEADERS.length - 1 }) },
    ),
    auth: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom({ t: 'admin' } as AuthCase, { t: 'callback' } as AuthCase) },
      { weight: 1, arbitrary: authCase() },
    ),
  });
}

export function renderRefresh(c: RefreshCase, tokens: FuzzTokens): RawRequest {
  return {
    method: 'POST',
    path: `/v3/dynamic-tables/refresh${c.wait === undefined ? '' : `?wait=${c.wait}`}`,
    headers: { ...CONTENT_HEADERS[c.content % CONTENT_HEADERS.length], ...authHeader(c.auth, tokens) },
    body: renderBody(c.body),
  };
}
