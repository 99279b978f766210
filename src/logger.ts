/**
 * A small structured logger. `json` writes one JSON object a line (for log collectors); `pretty` writes one line
 * a person can read: time, level, message, then the fields in the order given.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'json' | 'pretty';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Fields shown bare in a pretty line (their values say what they are), or with a unit after or a word before. */
const BARE = new Set(['table', 'trigger', 'action', 'statement', 'outcome', 'method', 'path', 'status']);
const SUFFIX: Readonly<Record<string, string>> = { rows: 'rows', durationMs: 'ms' };
const PREFIX: Readonly<Record<string, string>> = { dataTimestamp: 'data' };

function text(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** `2026-12-07T19:50:00Z INFO refresh default.main.t SCHEDULED FULL 120 rows 35 ms data 2026-12-07T19:50:00Z`. */
export function prettyLine(time: Date, level: string, message: string, fields: Record<string, unknown> = {}): string {
  const parts = [time.toISOString().replace(/\.\d{3}Z$/, 'Z'), level.toUpperCase(), message];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (BARE.has(key)) parts.push(text(value));
    else if (SUFFIX[key] !== undefined) parts.push(`${text(value)} ${SUFFIX[key]}`);
    else if (PREFIX[key] !== undefined) parts.push(`${PREFIX[key]} ${text(value)}`);
    else parts.push(`${key}=${text(value)}`);
  }
  return parts.join(' ');
}

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(line),
  format: LogFormat = 'json',
): Logger {
  const emit = (at: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    const time = new Date();
    if (format === 'pretty') write(`${prettyLine(time, at, message, fields)}\n`);
    else write(`${JSON.stringify({ time: time.toISOString(), level: at, message, ...fields })}\n`);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
