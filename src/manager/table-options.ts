/**
 * The keys a `WITH (…)` of CREATE and of RESUME may carry. Freshet's own keys are checked by name, so that a
 * typo such as `refresh.stratgy` is refused instead of silently ignored; keys meant for the engine or the
 * scheduler pass through under a documented prefix.
 */
import { validationError } from '../errors';
import { SLA_ERROR_AFTER_OPTION, SLA_WARN_AFTER_OPTION, thresholdsOf } from './freshness-sla';
import { GUARD_OPTION_NAMES, checkGuardKeys, checkGuardOptions, isGuardOption } from './guard-options';
import { SOURCE_CATALOG_OPTION } from './namespaces';
import { ON_SCHEMA_CHANGE_OPTION, SCHEMA_CHANGE_POLICIES } from './reflection-record';
import { REFRESH_STRATEGY_OPTION } from './table-definition';
import {
  READINESS_ON_NOT_READY_OPTION,
  READINESS_SOURCES_OPTION,
  READINESS_TIMEOUT_OPTION,
  readinessPolicyOf,
} from './registry/readiness-options';

/** Freshet's own CREATE options. */
export const KNOWN_CREATE_OPTIONS: readonly string[] = [
  'initialize',
  REFRESH_STRATEGY_OPTION,
  SOURCE_CATALOG_OPTION,
  READINESS_SOURCES_OPTION,
  READINESS_ON_NOT_READY_OPTION,
  READINESS_TIMEOUT_OPTION,
  ON_SCHEMA_CHANGE_OPTION,
  SLA_WARN_AFTER_OPTION,
  SLA_ERROR_AFTER_OPTION,
];

/** `partition.fields.<column>.date-formatter`: how a periodic refresh names the partition it rewrites. */
const PARTITION_FORMATTER = /^partition\.fields\.[^.]+\.date-formatter$/;
const PARTITION_FORMATTER_TEXT = 'partition.fields.<column>.date-formatter';

/**
 * Pass-through namespaces: `engine.…` for the engine, `scheduler.…` for the workflow scheduler (a RESUME's
 * options reach the refresh request as its configuration), and Flink's own `sink.…` table options.
 */
export const PASS_THROUGH_PREFIXES: readonly string[] = ['engine.', 'scheduler.', 'sink.'];

const passesThrough = (key: string) => PASS_THROUGH_PREFIXES.some((prefix) => key.toLowerCase().startsWith(prefix));

/** Refuses the keys of a CREATE's `WITH (…)` that Freshet does not know, naming the ones it does. */
export function checkCreateOptions(options: Readonly<Record<string, string>>): void {
  const policy = options[ON_SCHEMA_CHANGE_OPTION];
  if (policy !== undefined && !(SCHEMA_CHANGE_POLICIES as readonly string[]).includes(policy)) {
    throw validationError(
      `'${ON_SCHEMA_CHANGE_OPTION}' must be one of ${quoted(SCHEMA_CHANGE_POLICIES)}; got '${policy}'. It says what ` +
        'a breaking change of a table the dynamic table reads does to it.',
    );
  }
  const unknown = Object.keys(options).filter(
    (key) =>
      !KNOWN_CREATE_OPTIONS.includes(key) &&
      !PARTITION_FORMATTER.test(key) &&
      !passesThrough(key) &&
      !isGuardOption(key),
  );
  if (unknown.length === 0) {
    readinessPolicyOf(options);
    thresholdsOf(1, options);
    checkGuardOptions(options);
    return;
  }
  throw validationError(
    `Unknown option${unknown.length > 1 ? 's' : ''} ${quoted(unknown)} in WITH (…). Known options: ` +
      `${quoted([...KNOWN_CREATE_OPTIONS, ...GUARD_OPTION_NAMES, PARTITION_FORMATTER_TEXT])}; options for the ` +
      `engine or the scheduler start with ${quoted(PASS_THROUGH_PREFIXES.map((p) => `${p}…`))}.`,
  );
}

/**
 * Options `ALTER DYNAMIC TABLE … SET (…)` and `RESET (…)` may change: those read afresh at each refresh or
 * freshness evaluation. The others shape the table itself and change with CREATE OR ALTER.
 */
const SETTABLE_OPTIONS: readonly string[] = [
  READINESS_SOURCES_OPTION,
  READINESS_ON_NOT_READY_OPTION,
  READINESS_TIMEOUT_OPTION,
  ON_SCHEMA_CHANGE_OPTION,
  SLA_WARN_AFTER_OPTION,
  SLA_ERROR_AFTER_OPTION,
];

/** Refuses keys of `SET (…)` or `RESET (…)` that cannot change that way, saying how to change them instead. */
export function checkSettableKeys(keys: readonly string[], statement: 'SET' | 'RESET'): void {
  checkGuardKeys(keys);
  const fixed = keys.filter((key) => !SETTABLE_OPTIONS.includes(key) && !isGuardOption(key));
  if (fixed.length === 0) return;
  throw validationError(
    `${statement} cannot change ${quoted(fixed)}: ALTER DYNAMIC TABLE … ${statement} (…) changes ` +
      `${quoted([...GUARD_OPTION_NAMES, ...SETTABLE_OPTIONS])}. Change the others with CREATE OR ALTER DYNAMIC ` +
      'TABLE and the whole WITH (…).',
  );
}

/** Refuses the keys of `RESUME WITH (…)` outside the pass-through namespaces (Freshet itself reads none). */
export function checkResumeOptions(options: Readonly<Record<string, string>>): void {
  const unknown = Object.keys(options).filter((key) => !passesThrough(key));
  if (unknown.length === 0) return;
  throw validationError(
    `Unknown option${unknown.length > 1 ? 's' : ''} ${quoted(unknown)} in RESUME WITH (…). RESUME passes ` +
      `options to the engine or the scheduler; their keys start with ` +
      `${quoted(PASS_THROUGH_PREFIXES.map((p) => `${p}…`))}.`,
  );
}

const quoted = (keys: readonly string[]) => keys.map((k) => `'${k}'`).join(', ');
