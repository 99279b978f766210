import assert from 'node:assert/strict';
import type { StatementResult } from '../../src/engine/engine';
import { FreshetError } from '../../src/errors';

/** Asserts `fn` throws a VALIDATION_ERROR whose message equals, matches or passes `expected`. */
export function assertValidationError(
  fn: () => unknown,
  expected: string | RegExp | ((message: string) => void),
): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof FreshetError, `expected a FreshetError, got ${String(error)}`);
    assert.equal(error.code, 'VALIDATION_ERROR');
    if (typeof expected === 'string') assert.equal(error.message, expected);
    else if (expected instanceof RegExp) assert.match(error.message, expected);
    else expected(error.message);
    return true;
  });
}

/** Awaits `promise`, expecting it to reject with a FreshetError of `code` whose message matches `message`. */
export async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<FreshetError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FreshetError, `expected a FreshetError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

/** The rows of a statement result that must be rows. */
export function rowsOf(result: StatementResult): readonly (readonly unknown[])[] {
  assert.equal(result.kind, 'rows');
  return result.kind === 'rows' ? result.rows : [];
}
