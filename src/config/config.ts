/**
 * Freshet's configuration: one object, validated once at start-up with every problem reported. Read from an
 * optional JSON file and from FRESHET_* environment variables; the defaults give the embedded set-up.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ENGINE_URL_FORMS, findEngineFactory } from '../engine/registry';
import { parseDurationSeconds } from '../freshness';
import { SCOPES } from '../manager/scopes';
import { discoverySchema } from './discovery-config';

const durationText = z.union([z.string().min(1), z.number().int().positive()]);

const alertChannelSchema = z
  .object({
    name: z.string().min(1),
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//i.test(u), 'an alert channel URL must be http:// or https://'),
    format: z.enum(['alertmanager', 'json']).default('alertmanager'),
    /** Signs each body: `X-Freshet-Signature: sha256=<HMAC-SHA256 hex>`. */
    secret: z.string().min(1).optional(),
    minSeverity: z.enum(['warning', 'critical']).default('warning'),
    /** A firing alert is sent again this often until it is resolved (0: once). */
    repeatIntervalSeconds: z.number().min(0).default(3600),
  })
  .strict();

const tokenSchema = z
  .object({
    name: z.string().min(1).optional(),
    token: z.string().min(16, 'a token must be at least 16 characters'),
    scopes: z.array(z.enum(SCOPES)).min(1),
  })
  .strict();

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8083),
        /** The URL schedulers use to call back; derived from host and port when omitted. */
        publicUrl: z.string().url().optional(),
        bodyLimitBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
      })
      .strict()
      .prefault({}),
    dataDir: z.string().min(1).default('./data'),
    catalog: z
      .object({
        /** `sqlite:<path>`; relative paths are relative to dataDir. */
        url: z.string().min(1).default('sqlite:catalog.db'),
      })
      .strict()
      .prefault({}),
    engine: z
      .object({
        type: z.literal('sqlite').default('sqlite'),
        /** The SQLite file holding source tables and dynamic tables; relative to dataDir. */
        path: z.string().min(1).default('warehouse.db'),
        catalogName: z.string().min(1).default('default'),
      })
      .strict()
      .prefault({}),
    /**
     * More catalogs (engine connections) beside the default one: `{name: {url}}` with `sqlite:<path>` (relative to
     * dataDir), `postgres://…` or `mysql://…`. A catalog named like `engine.catalogName` replaces the default SQLite one.
     */
    catalogs: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'catalog names are letters, digits and _'),
        z.object({ url: z.string().min(1) }).strict(),
      )
      .default({}),
    /** The catalog unqualified names and statements use; `engine.catalogName` when omitted. */
    defaultCatalog: z.string().min(1).optional(),
    scheduler: z
      .object({
        type: z.string().min(1).default('embedded'),
        options: z.record(z.string(), z.unknown()).default({}),
        /** How often the workflows are compared with the catalog (0: never). */
        driftCheckSeconds: z.number().min(0).default(300),
      })
      .strict()
      .prefault({}),
    refresh: z
      .object({
        freshnessThreshold: durationText.default('30 minutes'),
        defaultFreshnessContinuous: durationText.default('3 minutes'),
        defaultFreshnessFull: durationText.default('1 hour'),
        /** How long CREATE waits for the initial refresh before answering. */
        createWaitSeconds: z.number().min(0).default(60),
        /** Longest `?wait=` a refresh callback may ask for. */
        maxWaitSeconds: z.number().min(0).default(3600),
        /** Failed refreshes in a row after which a table is suspended (SUSPENDED_DUE_TO_ERRORS); 0 never. */
        maxConsecutiveFailures: z.number().int().min(0).default(5),
        /**
         * Longest a scheduled refresh waits for the refreshes of its upstream dynamic tables due at or before its
         * tick; then it reads what they hold, and its data timestamp says how old that is.
         */
        upstreamWaitSeconds: z.number().min(0).default(300),
        /** Most windows a partitioned table that missed ticks catches up before its next scheduled refresh; 0 none. */
        maxCatchUpWindows: z.number().int().min(0).max(10_000).default(24),
      })
      .strict()
      .prefault({}),
    statements: z
      .object({
        rowLimit: z.number().int().positive().default(1000),
        /** Longest statement text (a whole script) accepted, in characters. */
        maxLength: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
        /** Most statements in one script: a request runs its statements one by one, so this bounds its time. */
        maxCount: z.number().int().positive().default(1000),
        /** A pass-through statement running longer is stopped on the engine and answered STATEMENT_TIMEOUT. */
        timeoutSeconds: z.number().positive().default(300),
      })
      .strict()
      .prefault({}),
    /** How long the refresh history and its jobs are kept; pruned in the background in small batches. */
    history: z
      .object({
        retentionDays: z.number().positive().default(7),
        /** Most history rows kept per table, however young. */
        maxRowsPerTable: z.number().int().positive().default(10_000),
        /** How often a pruning pass runs (0: never). */
        pruneIntervalSeconds: z.number().min(0).default(60),
        /** Most history rows one pass removes. */
        pruneBatchSize: z.number().int().positive().default(1000),
      })
      .strict()
      .prefault({}),
    /** Reflection: re-reading the schema of every dynamic table and of the tables they read (DESIGN.md §10). */
    reflection: z
      .object({
        /** How often the leader runs a pass (0: only on demand). */
        intervalSeconds: z.number().min(0).default(3600),
      })
      .strict()
      .prefault({}),
    /** The freshness monitor: how often every table's state is computed and its changes recorded (0: never). */
    monitor: z
      .object({ intervalSeconds: z.number().min(0).default(30) })
      .strict()
      .prefault({}),
    /** Webhooks told about freshness transitions and suspensions. */
    alerts: z
      .object({
        channels: z
          .array(alertChannelSchema)
          .default([])
          .refine(
            (channels) => new Set(channels.map((c) => c.name)).size === channels.length,
            'alert channel names must be unique',
          ),
        /** Most alerts waiting per channel; the oldest goes when it is full. */
        queueSize: z.number().int().positive().default(1000),
        /** Tries per alert, the first included; retries wait retryInitialSeconds, doubling up to retryMaxSeconds. */
        maxAttempts: z.number().int().positive().default(5),
        retryInitialSeconds: z.number().positive().default(1),
        retryMaxSeconds: z.number().positive().default(60),
        timeoutSeconds: z.number().positive().default(10),
      })
      .strict()
      .prefault({}),
    /** Discovery, dataset profiles and search (DESIGN.md §11). */
    discovery: discoverySchema,
    timeZone: z.string().min(1).default('UTC'),
    auth: z
      .object({ tokens: z.array(tokenSchema).default([]) })
      .strict()
      .prefault({}),
    logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    /** `json`: one JSON object a line, for collectors; `pretty`: one line a person reads. */
    logFormat: z.enum(['json', 'pretty']).default('json'),
    /** Several gateways on one PostgreSQL or MySQL catalog (ignored with a SQLite catalog, which has one gateway). */
    replica: z
      .object({
        /** Written as the owner of this gateway's jobs and leases; unique per process when omitted. */
        id: z.string().min(1).max(128).optional(),
        /** How long a job or leader lease holds unrenewed: how soon another gateway takes over a stopped one's work. */
        leaseSeconds: z.number().positive().default(30),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type FreshetConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Thrown when the configuration is invalid; `problems` lists every one of them. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Environment variables and where they go in the configuration. */
const ENV_KEYS: ReadonlyArray<readonly [string, readonly string[], 'string' | 'number' | 'json']> = [
  ['FRESHET_HOST', ['server', 'host'], 'string'],
  ['FRESHET_PORT', ['server', 'port'], 'number'],
  ['FRESHET_PUBLIC_URL', ['server', 'publicUrl'], 'string'],
  ['FRESHET_DATA_DIR', ['dataDir'], 'string'],
  ['FRESHET_CATALOG_URL', ['catalog', 'url'], 'string'],
  ['FRESHET_ENGINE_PATH', ['engine', 'path'], 'string'],
  ['FRESHET_CATALOGS', ['catalogs'], 'json'],
  ['FRESHET_DEFAULT_CATALOG', ['defaultCatalog'], 'string'],
  ['FRESHET_SCHEDULER_TYPE', ['scheduler', 'type'], 'string'],
  ['FRESHET_SCHEDULER_OPTIONS', ['scheduler', 'options'], 'json'],
  ['FRESHET_FRESHNESS_THRESHOLD', ['refresh', 'freshnessThreshold'], 'string'],
  ['FRESHET_ROW_LIMIT', ['statements', 'rowLimit'], 'number'],
  ['FRESHET_STATEMENTS_MAX_LENGTH', ['statements', 'maxLength'], 'number'],
  ['FRESHET_STATEMENTS_MAX_COUNT', ['statements', 'maxCount'], 'number'],
  ['FRESHET_STATEMENTS_TIMEOUT_SECONDS', ['statements', 'timeoutSeconds'], 'number'],
  ['FRESHET_REFLECTION_INTERVAL_SECONDS', ['reflection', 'intervalSeconds'], 'number'],
  ['FRESHET_DISCOVERERS', ['discovery', 'discoverers'], 'json'],
  ['FRESHET_TIME_ZONE', ['timeZone'], 'string'],
  ['FRESHET_AUTH_TOKENS', ['auth', 'tokens'], 'json'],
  ['FRESHET_LOG_LEVEL', ['logLevel'], 'string'],
  ['FRESHET_LOG_FORMAT', ['logFormat'], 'string'],
  ['FRESHET_REPLICA_ID', ['replica', 'id'], 'string'],
  ['FRESHET_REPLICA_LEASE_SECONDS', ['replica', 'leaseSeconds'], 'number'],
];

/** Every environment variable the gateway reads, `FRESHET_CONFIG` first: what `freshet start --help` lists. */
export const CONFIG_ENV_VARIABLES: readonly string[] = ['FRESHET_CONFIG', ...ENV_KEYS.map(([name]) => name)];

function setPath(target: Record<string, unknown>, keys: readonly string[], value: unknown): void {
  let node = target;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  });
}

/**
 * A check the schema cannot make, run on the merged input as it is (not yet validated, so that its problems are
 * listed with every other one); returns what it finds wrong. Start-up adds the scheduler plugin's check this way, so
 * that loading a configuration never loads a plugin.
 */
export type ConfigCheck = (input: Readonly<Record<string, unknown>>) => readonly string[];

export interface LoadConfigOptions {
  /** A JSON file; `FRESHET_CONFIG` when omitted, none when neither is set. */
  readonly file?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly overrides?: ConfigInput;
  readonly checks?: readonly ConfigCheck[];
}

/** Merges the file (if any), the environment and explicit overrides, then validates. */
export function loadConfig(options: LoadConfigOptions = {}): FreshetConfig {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  let raw: Record<string, unknown> = {};
  const file = options.file ?? env.FRESHET_CONFIG;
  if (file !== undefined) {
    if (!existsSync(file)) throw new ConfigError([`config file ${file} does not exist`]);
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError([`config file ${file} is not valid JSON: ${(error as Error).message}`]);
    }
  }
  for (const [name, keys, kind] of ENV_KEYS) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (kind === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) problems.push(`${name}: expected a number, got "${value}"`);
      else setPath(raw, keys, n);
    } else if (kind === 'json') {
      try {
        setPath(raw, keys, JSON.parse(value));
      } catch {
        problems.push(`${name}: expected JSON, got "${value}"`);
      }
    } else setPath(raw, keys, value);
  }
  const merged = deepMerge(raw, (options.overrides ?? {}) as Record<string, unknown>);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const where = issue.path.length > 0 ? issue.path.join('.') : '(root)';
      problems.push(`${where}: ${issue.message}`);
    }
  }
  problems.push(...semanticProblems(merged, options.checks ?? []));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return Object.freeze(parsed.data);
}

/** What the schema cannot see: durations that do not parse, the given checks, catalogs, auth vs host. */
function semanticProblems(raw: Record<string, unknown>, checks: readonly ConfigCheck[]): string[] {
  const problems: string[] = [];
  const section = (name: string) =>
    typeof raw[name] === 'object' && raw[name] !== null ? (raw[name] as Record<string, unknown>) : {};
  for (const key of ['freshnessThreshold', 'defaultFreshnessContinuous', 'defaultFreshnessFull']) {
    const value = section('refresh')[key];
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    try {
      parseDurationSeconds(value);
    } catch (error) {
      problems.push(`refresh.${key}: ${(error as Error).message}`);
    }
  }
  for (const check of checks) problems.push(...check(raw));
  const catalogs = section('catalogs');
  const defaultCatalog =
    typeof raw.defaultCatalog === 'string'
      ? raw.defaultCatalog
      : typeof section('engine').catalogName === 'string'
        ? (section('engine').catalogName as string)
        : 'default';
  const names = new Set(
    [
      ...Object.keys(catalogs),
      typeof section('engine').catalogName === 'string' ? (section('engine').catalogName as string) : 'default',
    ].map((n) => n.toLowerCase()),
  );
  if (!names.has(defaultCatalog.toLowerCase()))
    problems.push(`defaultCatalog: '${defaultCatalog}' is not a catalog; the catalogs are ${[...names].join(', ')}`);
  for (const [name, spec] of Object.entries(catalogs)) {
    const url = (spec as { url?: unknown } | null)?.url;
    if (typeof url === 'string' && findEngineFactory(url) === undefined) {
      problems.push(
        `catalogs.${name}.url: '${maskUrlSecrets(url)}' is not supported; use ${ENGINE_URL_FORMS.join(', ')}`,
      );
    }
  }
  const host = typeof section('server').host === 'string' ? (section('server').host as string) : '127.0.0.1';
  const tokens = section('auth').tokens;
  if (!isLoopbackHost(host) && !(Array.isArray(tokens) && tokens.length > 0)) {
    problems.push(
      `server.host: listening on ${host} without auth tokens is refused; configure auth.tokens or listen on 127.0.0.1`,
    );
  }
  return problems;
}

/** Seconds of a duration setting that {@link loadConfig} has already checked. */
export function durationSetting(value: string | number): number {
  return parseDurationSeconds(value);
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    const bothObjects =
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      typeof current === 'object' &&
      current !== null &&
      !Array.isArray(current);
    out[key] = bothObjects ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return out;
}

/** A path from the configuration, resolved against dataDir when relative. */
export function resolveDataPath(config: FreshetConfig, file: string): string {
  return path.isAbsolute(file) ? file : path.resolve(config.dataDir, file);
}

/** The password in a URL's user information (`scheme://user:password@host`, also after `flink:`). */
const URL_PASSWORD = /(:\/\/[^/?#:@\s]*):[^/?#\s]*@/g;

/** A secret given as a URL or connection-string parameter (`?password=…`, `&sslpassword=…`, `;token=…`). */
const SECRET_PARAMETER = /([?&;][\w.-]*(?:password|passwd|pwd|secret|token|api_?key)=)[^&;#\s]*/gi;

/** A string from the configuration with the passwords and secrets in any URL form it holds masked. */
export function maskUrlSecrets(value: string): string {
  return value.replace(URL_PASSWORD, '$1:****@').replace(SECRET_PARAMETER, '$1****');
}

/** The configuration with every secret replaced, for `freshet config` and logs. */
export function maskSecrets(config: FreshetConfig): unknown {
  return JSON.parse(
    JSON.stringify(config, (key, value: unknown) => {
      if (typeof value === 'string' && /token|password|secret/i.test(key)) return '****';
      return typeof value === 'string' ? maskUrlSecrets(value) : value;
    }),
  );
}

/** True for addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}
