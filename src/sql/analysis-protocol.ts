/** Messages between the main thread and the analysis worker (see analysis-thread.ts). */
import type { ErrorCode } from '../errors';
import type { SqlDialect } from '../model';
import type { ColumnRef } from './column-refs';
import type { IncrementalVerdict } from './incremental-shape-types';
import type { QueryAnalysis } from './query-analyzer';
import type { QueryText, Statement } from './statements';

export type AnalysisRequest =
  | { readonly id: number; readonly op: 'parseScript'; readonly script: string }
  | { readonly id: number; readonly op: 'readQuery'; readonly query: QueryText; readonly dialect: SqlDialect }
  | { readonly id: number; readonly op: 'columnRefs'; readonly query: string; readonly dialect: SqlDialect };

/** What `readQuery` answers: the analysis, the incremental verdict and the NOT NULL shape of the same parse. */
export interface QueryReading {
  readonly analysis: QueryAnalysis;
  readonly verdict: IncrementalVerdict;
  /** See query-shape.ts. */
  readonly keepsNotNull: boolean;
}

export interface AnalysisResults {
  readonly parseScript: Statement[];
  readonly readQuery: QueryReading;
  /** Null when the query cannot be read. */
  readonly columnRefs: ColumnRef[] | null;
}

/** A FreshetError as plain data, to cross the thread boundary. */
export interface ErrorData {
  readonly code: ErrorCode;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
  readonly details?: unknown;
}

export type AnalysisReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: ErrorData }
  /** Sent once, when the worker has loaded the parsers and takes requests. */
  | { readonly ready: true };
