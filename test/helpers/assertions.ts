import assert from 'node:assert/strict';
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

// The engine conformance suite asserts the same way; its helpers are the tests' too.
export { rejectsWith, rowsOf } from '../../src/engine/conformance-harness';
