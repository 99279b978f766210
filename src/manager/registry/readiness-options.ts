/**
 * The options of a gated refresh (DESIGN.md §10): `readiness.sources` (a list of source names, or `all`: every
 * registered source and dynamic table the query reads), `readiness.on_not_ready` (`wait`, `skip`, `fail`) and
 * `readiness.timeout` (how long `wait` waits).
 */
import { validationError } from '../../errors';
import { parseDurationSeconds } from '../../freshness/duration';

export const READINESS_SOURCES_OPTION = 'readiness.sources';
export const READINESS_ON_NOT_READY_OPTION = 'readiness.on_not_ready';
export const READINESS_TIMEOUT_OPTION = 'readiness.timeout';

export type NotReadyPolicy = 'wait' | 'skip' | 'fail';
const POLICIES: readonly NotReadyPolicy[] = ['wait', 'skip', 'fail'];
/** How long `wait` waits without `readiness.timeout`. */
export const DEFAULT_READINESS_TIMEOUT_SECONDS = 3600;

export interface ReadinessPolicy {
  /** Source names, or `all`. */
  readonly sources: readonly string[] | 'all';
  readonly onNotReady: NotReadyPolicy;
  readonly timeoutSeconds: number;
}

/** The table's gating policy, or null when its refreshes are not gated; a bad option is a 400 that names it. */
export function readinessPolicyOf(options: Readonly<Record<string, string>>): ReadinessPolicy | null {
  const policy = (options[READINESS_ON_NOT_READY_OPTION] ?? 'wait').trim().toLowerCase() as NotReadyPolicy;
  if (!POLICIES.includes(policy)) {
    throw validationError(
      `'${READINESS_ON_NOT_READY_OPTION}' must be one of ${POLICIES.map((p) => `'${p}'`).join(', ')}; got ` +
        `'${options[READINESS_ON_NOT_READY_OPTION]}'.`,
    );
  }
  let timeoutSeconds = DEFAULT_READINESS_TIMEOUT_SECONDS;
  const timeout = options[READINESS_TIMEOUT_OPTION];
  if (timeout !== undefined) {
    try {
      timeoutSeconds = parseDurationSeconds(timeout);
    } catch (error) {
      throw validationError(`'${READINESS_TIMEOUT_OPTION}': ${(error as Error).message}`);
    }
  }
  const text = options[READINESS_SOURCES_OPTION];
  if (text === undefined) {
    const stray = [READINESS_ON_NOT_READY_OPTION, READINESS_TIMEOUT_OPTION].filter((k) => options[k] !== undefined);
    if (stray.length > 0) {
      throw validationError(`${stray.map((k) => `'${k}'`).join(' and ')} need '${READINESS_SOURCES_OPTION}'.`);
    }
    return null;
  }
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) {
    throw validationError(`'${READINESS_SOURCES_OPTION}' must name at least one source, or be 'all'.`);
  }
  const all = names.length === 1 && names[0]?.toLowerCase() === 'all';
  return { sources: all ? 'all' : names, onNotReady: policy, timeoutSeconds };
}
