/**
 * Suspends a table whose refreshes keep failing: a table failing every 30 seconds forever only fills the logs
 * and the history. After `maxConsecutiveFailures` failed refreshes in a row the table is suspended the way
 * ALTER … SUSPEND does it, with the reason SUSPENDED_DUE_TO_ERRORS, and the active tables downstream of it with it
 * (UPSTREAM_SUSPENDED, see ./cascades); RESUME starts them again.
 */
import { messageOf } from '../errors';
import type { TableAlteration } from './alter-table';
import { SUSPENDED_DUE_TO_ERRORS, suspendedAlert } from './freshness-alerts';
import type { ManagerParts } from './manager-parts';

/** History states that end a refresh; unfinished rows of other jobs do not break a run of failures. */
const FINAL_STATES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED']);

export class FailureGuard {
  /** Tables being suspended now: several jobs failing together suspend a table once. */
  private readonly suspending = new Set<string>();

  constructor(
    private readonly parts: ManagerParts,
    private readonly alteration: TableAlteration,
  ) {}

  /** Checks each failed table of a finished job; never throws (it runs after the job, unawaited). */
  check(failed: ReadonlySet<string>): void {
    const limit = this.parts.settings.maxConsecutiveFailures ?? 0;
    if (limit <= 0) return;
    for (const key of failed) {
      if (this.suspending.has(key)) continue;
      this.suspending.add(key);
      this.checkTable(key, limit)
        .catch((error: unknown) => {
          this.parts.logger.error('could not suspend a table whose refreshes keep failing', {
            table: key,
            error: messageOf(error),
          });
        })
        .finally(() => this.suspending.delete(key));
    }
  }

  private async checkTable(key: string, limit: number): Promise<void> {
    const { catalog, logger } = this.parts;
    const table = await catalog.getTable(key);
    if (table?.refreshStatus !== 'ACTIVATED') return;
    const recent = (await catalog.historyOfTable(key, limit * 2 + 10)).filter((h) => FINAL_STATES.has(h.state));
    const run = recent.slice(0, limit);
    if (run.length < limit || run.some((h) => h.state !== 'FAILED')) return;
    const outcome = await this.alteration.suspend(table, SUSPENDED_DUE_TO_ERRORS);
    logger.error('dynamic table suspended after failed refreshes in a row', {
      table: table.identifier,
      failures: limit,
      reason: SUSPENDED_DUE_TO_ERRORS,
      lastError: run[0]?.error ?? null,
      detail: outcome.message,
    });
    const at = new Date().toISOString();
    this.parts.alerts.notify(suspendedAlert(table.identifier, SUSPENDED_DUE_TO_ERRORS, run[0]?.error ?? null, at));
  }
}
