// The entry point of the OCI library: one HTTP stack, one credential lookup and one transfer limit shared by
// every registry an operation talks to. Callers get a Registry per reference and close the client at the end.

import type { TransportSettings } from "../index-client/settings.js";
import type { Logger } from "../util/log.js";
import { Semaphore } from "../util/semaphore.js";
import { RegistryCredentials } from "./credentials.js";
import { RegistryHttp } from "./http.js";
import type { OciReference } from "./reference.js";
import { Registry } from "./registry.js";
import { DEFAULT_CONCURRENCY } from "../index-client/client.js";

export interface OciClientOptions {
  transport: Omit<TransportSettings, "offline"> & { offline?: boolean };
  /** HOST or HOST:PORT spoken to over plain HTTP (--insecure-registry); loopback always is. */
  insecureRegistries?: readonly string[];
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** First retry delay (doubles per retry); mostly for tests. */
  retryBaseMs?: number;
}

export class OciClient {
  readonly http: RegistryHttp;
  readonly transfers: Semaphore;
  readonly log: Logger;
  private readonly credentials: RegistryCredentials;
  private readonly registries = new Map<string, Registry>();

  constructor(private readonly opts: OciClientOptions) {
    this.log = opts.log;
    this.http = new RegistryHttp({
      proxy: opts.transport.proxy,
      cert: opts.transport.cert,
      env: opts.env,
      log: opts.log,
      connectTimeoutMs: opts.transport.connectTimeoutMs,
      readTimeoutMs: opts.transport.readTimeoutMs,
      retries: opts.transport.retries,
      retryBaseMs: opts.retryBaseMs,
    });
    this.credentials = new RegistryCredentials(opts.env, opts.log);
    this.transfers = new Semaphore(opts.transport.concurrency ?? DEFAULT_CONCURRENCY);
  }

  /** The registry a reference names (one per HOST[:PORT], so its tokens are shared). */
  registry(ref: Pick<OciReference, "registry" | "host">): Registry {
    let found = this.registries.get(ref.registry);
    if (!found) {
      found = new Registry(ref, { http: this.http, credentials: this.credentials, insecureRegistries: this.opts.insecureRegistries ?? [] });
      this.registries.set(ref.registry, found);
    }
    return found;
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
