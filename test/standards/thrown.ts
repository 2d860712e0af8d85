// Test helper for the pure standards modules: the PystoreError a synchronous call throws.

import { PystoreError } from "../../src/errors.js";

/** The PystoreError `fn` throws; any other error is rethrown, and no error at all fails the test. */
export function thrown(fn: () => unknown): PystoreError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PystoreError) return e;
    throw e;
  }
  throw new Error("expected a PystoreError");
}
