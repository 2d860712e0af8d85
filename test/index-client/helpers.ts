// Helpers shared by the index-client tests: a client that is always closed, and catching the PystoreError.

import { PystoreError } from "../../src/errors.js";
import { IndexClient, type IndexClientOptions } from "../../src/index-client/client.js";

/** Run `fn` with a client (no retries unless `opts` asks), closing it whatever happens. */
export async function withClient<T>(opts: IndexClientOptions, fn: (client: IndexClient) => Promise<T>): Promise<T> {
  const client = new IndexClient({ retries: 0, ...opts });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** The PystoreError `promise` rejects with; anything else (or no rejection) fails the test. */
export async function failure(promise: Promise<unknown>): Promise<PystoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PystoreError) return error;
    throw error;
  }
  throw new Error("expected a PystoreError");
}
