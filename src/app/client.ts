// One lazily opened index client per operation: the HTTP stack loads only when something needs the network,
// and every step of the operation (lock-first, downloads) shares its connections and credentials.

import type { IndexClient, IndexClientOptions } from "../index-client/client.js";

export interface LazyClient {
  /** The client, created from `options` on first use (later calls return the same one). */
  get(options?: IndexClientOptions): Promise<IndexClient>;
  close(): Promise<void>;
}

export function lazyClient(base: IndexClientOptions): LazyClient {
  let client: IndexClient | undefined;
  return {
    async get(options = {}) {
      if (!client) {
        const { IndexClient } = await import("../index-client/client.js");
        client = new IndexClient({ ...base, ...options });
      }
      return client;
    },
    async close() {
      await client?.close();
    },
  };
}
