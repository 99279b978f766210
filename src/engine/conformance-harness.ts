/** What an engine's conformance run is given (see `conformance.ts`), and the helpers its parts share. */
import assert from 'node:assert/strict';
import { FreshetError } from '../errors';
import type { Engine, SqlDialect, StatementResult } from './engine';

/** The parts of the suite an engine may declare it cannot do (see {@link EngineConformanceHarness.cannot}). */
export type EngineConformancePart =
  | 'describe-query-types'
  | 'full-refresh'
  | 'partition-refresh'
  | 'failed-refresh'
  | 'rebuild'
  | 'pass-through'
  | 'multiple-statements'
  | 'transactions'
  | 'publish-guards';

/** An engine made for the suite, on an empty database of its own. */
export interface EngineUnderTest {
  /** Not yet opened: the suite opens and closes it. */
  readonly engine: Engine;
  /** What {@link Engine.defaultDatabase} must say once the engine is open. */
  readonly defaultDatabase: string;
  /** Removes whatever was made for the engine (the database, files, a fake server); called after `close()`. */
  tearDown(): Promise<void>;
}

export interface EngineConformanceHarness {
  /** A new engine on an empty, throwaway database. */
  setUp(): Promise<EngineUnderTest>;
  /** What the engine must declare about itself. */
  readonly expected: {
    readonly name: string;
    readonly dialect: SqlDialect;
    readonly transactionalDdl: boolean;
    readonly partitionedRefresh: boolean;
    readonly otherDatabases: boolean;
    /** Whether the engine has each optional capability object; the suite skips the parts of those it lacks. */
    readonly incremental: boolean;
    readonly streaming: boolean;
    readonly continuousJobs: boolean;
    /** Whether the engine keeps a refresh ledger ({@link Engine.ledger}); absent means it keeps none. */
    readonly ledger?: boolean;
    /** Whether the engine keeps blocked results ({@link Engine.staging}); absent means it keeps none. */
    readonly staging?: boolean;
  };
  /** Type names to create tables with: `integer`, a short text that can be a key, any text, and a CAST target. */
  readonly ddl: { readonly integer: string; readonly key: string; readonly text: string; readonly castInteger: string };
  /** What the engine's type names look like, broadly. */
  readonly types: { readonly integer: RegExp; readonly text: RegExp; readonly numeric: RegExp };
  /** The start of the engine's own messages in its errors (`/^SQLite: /`). */
  readonly messagePrefix: RegExp;
  /** How the engine refuses a type name that is not one (`INT); DROP TABLE y; --`). */
  readonly badTypeMessage: RegExp;
  /** Parts the engine cannot do, each with the reason, reported as pending tests. */
  readonly cannot?: Partial<Readonly<Record<EngineConformancePart, string>>>;
}

/** What each part of the suite gets: the open engine, and helpers on it. */
export interface ConformanceContext {
  readonly harness: EngineConformanceHarness;
  engine(): Engine;
  run(sql: string, rowLimit?: number): Promise<StatementResult>;
  /** Registers a test, or a pending one with the reason when the engine declared it cannot do the part. */
  part(title: string, id: EngineConformancePart | null, test: () => Promise<void>): void;
}

/** The rows of a statement that reads. */
export function rowsOf(result: StatementResult): readonly (readonly unknown[])[] {
  assert.equal(result.kind, 'rows');
  return result.kind === 'rows' ? result.rows : [];
}

/** Asserts that `promise` rejects with a FreshetError of `code` whose message matches, and returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<FreshetError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FreshetError, `expected a FreshetError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected a ${code} FreshetError, but the call succeeded`);
}
