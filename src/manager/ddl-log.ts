/** One log line per dynamic-table DDL statement, whether it succeeded or not, for operators following the log. */
import { messageOf } from '../errors';
import type { Logger } from '../logger';
import type { AlterAction, AlterDynamicTable, CreateDynamicTable, DropDynamicTable } from '../sql/statements';
import type { DdlOutcome } from './manager-types';

const ALTER_ACTIONS: Readonly<Record<AlterAction['kind'], string>> = {
  suspend: 'SUSPEND',
  resume: 'RESUME',
  refresh: 'REFRESH',
  backfill: 'BACKFILL',
  setFreshness: 'SET_FRESHNESS',
  setRefreshMode: 'SET_REFRESH_MODE',
  setQuery: 'AS',
  setOptions: 'SET_OPTIONS',
  resetOptions: 'RESET_OPTIONS',
  reflect: 'REFLECT',
};

function labelOf(stmt: CreateDynamicTable | AlterDynamicTable | DropDynamicTable): [string, string | undefined] {
  if (stmt.kind === 'createDynamicTable') return ['CREATE', stmt.orAlter ? 'OR_ALTER' : undefined];
  if (stmt.kind === 'alterDynamicTable') return ['ALTER', ALTER_ACTIONS[stmt.action.kind]];
  return ['DROP', undefined];
}

/** Runs a DDL statement and logs its statement, table, outcome and duration (info when done, warn when refused). */
export async function loggedDdl(
  logger: Logger,
  stmt: CreateDynamicTable | AlterDynamicTable | DropDynamicTable,
  run: () => Promise<DdlOutcome>,
): Promise<DdlOutcome> {
  const [statement, action] = labelOf(stmt);
  const started = Date.now();
  try {
    const outcome = await run();
    logger.info('ddl', {
      statement,
      action,
      table: outcome.identifier,
      outcome: 'OK',
      durationMs: Date.now() - started,
      job: outcome.job?.jobId,
      detail: outcome.message,
    });
    return outcome;
  } catch (error) {
    logger.warn('ddl', {
      statement,
      action,
      table: stmt.name.parts.join('.'),
      outcome: 'FAILED',
      durationMs: Date.now() - started,
      error: messageOf(error),
    });
    throw error;
  }
}
