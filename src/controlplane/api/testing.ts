/**
 * Helpers for the API server's unit tests (patch, apply): catching the StatusError a call must
 * throw, so each test can assert its code, reason and causes.
 */
import { isStatusError, type StatusError } from './errors.js';

/** The StatusError `fn` throws; any other error is rethrown, and no error at all fails the test. */
export function statusErrorOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (isStatusError(e)) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}
