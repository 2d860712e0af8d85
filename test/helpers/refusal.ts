// The PystoreError a call refuses with, for tests that check what was refused and how.

import { PystoreError } from "../../src/errors.js";

/** The PystoreError `run` throws or rejects with (anything else fails the test). */
export async function refusal(run: () => unknown): Promise<PystoreError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof PystoreError) return error;
    throw new Error(`expected a PystoreError, got ${String((error as Error)?.stack ?? error)}`);
  }
  throw new Error("expected a refusal, the input was accepted");
}
