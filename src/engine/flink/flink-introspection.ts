/**
 * Reads the answers of Flink's introspection statements: `DESCRIBE` (columns name, type, null, key, extras,
 * watermark[, comment]), `SHOW TABLES` (table name), `SHOW CREATE TABLE` (result) and `SHOW JOBS` (job id, job
 * name, status, start time). Columns are found by name, so additions in later Flink versions do not matter.
 */
import { engineError } from '../../errors';
import type { ColumnInfo, TableDescription } from '../engine';
import type { FlinkResult } from './flink-gateway-client';

function columnIndex(result: FlinkResult, name: string, statement: string): number {
  const index = result.columns.findIndex((column) => column.name.toLowerCase() === name);
  if (index < 0) {
    throw engineError(
      `Flink answered ${statement} without a '${name}' column (columns: ` +
        `${result.columns.map((c) => c.name).join(', ')}).`,
    );
  }
  return index;
}

/** Time attributes are marked in DESCRIBE (`TIMESTAMP(3) *ROWTIME*`); the marker is not part of the type. */
const cleanType = (type: string) => type.replace(/\s*\*(ROWTIME|PROCTIME)\*$/, '').trim();

/** Columns of a DESCRIBE answer, in order, and the primary key (`PRI(a, b)` in the key column). */
export function describedTable(result: FlinkResult): TableDescription {
  const name = columnIndex(result, 'name', 'DESCRIBE');
  const type = columnIndex(result, 'type', 'DESCRIBE');
  const nullable = columnIndex(result, 'null', 'DESCRIBE');
  const key = result.columns.findIndex((column) => column.name.toLowerCase() === 'key');
  let primaryKey: string[] = [];
  const columns: ColumnInfo[] = result.rows.map((row) => {
    const keyText = key < 0 ? null : row[key];
    if (primaryKey.length === 0 && typeof keyText === 'string') {
      const listed = /^PRI\((.*)\)$/.exec(keyText.trim());
      if (listed?.[1] !== undefined)
        primaryKey = listed[1]
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== '');
    }
    return { name: String(row[name]), type: cleanType(String(row[type] ?? '')), nullable: row[nullable] !== false };
  });
  return { columns, primaryKey };
}

/** Table names of a SHOW TABLES answer. */
export function shownTables(result: FlinkResult): string[] {
  const name = columnIndex(result, 'table name', 'SHOW TABLES');
  return result.rows.map((row) => String(row[name]));
}

/**
 * Partition columns of a table from its SHOW CREATE TABLE text (`PARTITIONED BY (`a`, `b`)`); empty when the
 * table is not partitioned.
 */
export function partitionKeysOf(createStatement: string): string[] {
  const clause = /\bPARTITIONED\s+BY\s*\(([^)]*)\)/i.exec(createStatement)?.[1];
  if (clause === undefined) return [];
  const keys: string[] = [];
  for (const match of clause.matchAll(/`((?:[^`]|``)*)`|([^\s,`]+)/g)) {
    keys.push(match[1] !== undefined ? match[1].replace(/``/g, '`') : (match[2] ?? ''));
  }
  return keys.filter((key) => key !== '');
}

/** The one text cell of a SHOW CREATE TABLE answer. */
export function createStatementOf(result: FlinkResult): string {
  return String(result.rows[0]?.[0] ?? '');
}

/** Job states after which a job never runs again (Flink's JobStatus#isGloballyTerminalState). */
export const TERMINAL_JOB_STATES = new Set(['FINISHED', 'CANCELED', 'FAILED']);

/** The state SHOW JOBS reports for a job, or null when the cluster does not list it. */
export function jobStatusOf(result: FlinkResult, jobId: string): string | null {
  const id = columnIndex(result, 'job id', 'SHOW JOBS');
  const status = columnIndex(result, 'status', 'SHOW JOBS');
  const row = result.rows.find((candidate) => String(candidate[id]) === jobId);
  return row === undefined ? null : String(row[status]).toUpperCase();
}
