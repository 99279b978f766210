/** The refresh handler of an Airflow workflow, and how a table's DAG id and file name are derived. */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { RefreshHandler } from '../../src/plugin-api';

/** A type rather than an interface, so that it is a {@link RefreshHandler} as it stands. */
export type AirflowHandler = {
  readonly dagId: string;
  /** The DAG file's name inside `dagsFolder`. */
  readonly fileName: string;
  /** The REST API version the workflow was created through (informational: the configured version is used). */
  readonly apiVersion: 1 | 2;
};

/** Airflow's longest dag_id is 250 characters; the file name adds `.py`. */
const MAX_DAG_ID = 250;

/**
 * `<prefix><table, lower-cased, runs of other characters as _>_<8 hex of its hash>`. The hash keeps ids apart
 * when two identifiers differ only in characters the slug drops; the readable part makes the Airflow UI usable.
 */
export function dagIdFor(prefix: string, tableIdentifier: string): string {
  const hash = createHash('sha256').update(tableIdentifier).digest('hex').slice(0, 8);
  const room = MAX_DAG_ID - prefix.length - hash.length - 1;
  const slug = tableIdentifier
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, Math.max(room, 0));
  return `${prefix}${slug}_${hash}`;
}

export function fileNameFor(dagId: string): string {
  return `${dagId}.py`;
}

export function handlerOf(dagId: string, apiVersion: 1 | 2): AirflowHandler {
  return { dagId, fileName: fileNameFor(dagId), apiVersion };
}

/** The handler's fields, or null when it is not an Airflow plugin's handler. */
export function readHandler(handler: RefreshHandler): AirflowHandler | null {
  const { dagId, fileName, apiVersion } = handler;
  if (typeof dagId !== 'string' || dagId === '') return null;
  // A stored handler is data: only a bare file name inside dagsFolder is ever touched.
  const safeName = typeof fileName === 'string' && fileName !== '' ? path.basename(fileName) : fileNameFor(dagId);
  return { dagId, fileName: safeName, apiVersion: apiVersion === 1 ? 1 : 2 };
}
