// HTTP for registries: the index client's proxy choice (--proxy, *_proxy, no_proxy), CA bundle (--cert,
// SSL_CERT_FILE), timeouts and retry policy, with the methods and bodies the Distribution protocol needs.
// Redirects (a blob GET sent on to object storage) never carry the registry's Authorization to another origin.

import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { PystoreError } from "../errors.js";
import { Connections, networkError, RetryPolicy, redirectTarget, sleep } from "../index-client/http.js";
import type { Logger } from "../util/log.js";
import { redactUrl } from "../util/redact.js";

export interface RegistryHttpOptions {
  proxy?: string;
  cert?: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  /** Retries after the first attempt of an idempotent request (connection errors, 5xx, 429). */
  retries?: number;
  retryBaseMs?: number;
}

export type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RegistryRequest {
  method: Method;
  headers?: Record<string, string>;
  /** A buffer, or a function opening the body again for each attempt (a file range). */
  body?: Buffer | (() => Readable);
  /** Sent only to `authOrigin` (the registry itself), never along a redirect elsewhere. */
  authorization?: string;
  authOrigin?: string;
}

export type ResponseBody = Readable & { text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer>; dump(): Promise<void> };

export interface RegistryResponse {
  status: number;
  headers: Record<string, string>;
  body: ResponseBody;
  /** The URL that answered (after redirects). */
  url: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
const IDEMPOTENT = new Set<Method>(["GET", "HEAD", "PUT", "DELETE"]);
const REGISTRY_HINT =
  "check the registry address and the proxy variables (https_proxy, http_proxy, no_proxy); a registry on another host than this one needs HTTPS unless named with --insecure-registry";

export class RegistryHttp extends RetryPolicy {
  private readonly connections: Connections;

  constructor(private readonly opts: RegistryHttpOptions) {
    super(opts);
    // Connected exactly as indexes are: same proxy handling, CA bundle and certificate checks.
    this.connections = new Connections({ ...opts, connectTimeoutMs: this.connectTimeoutMs, readTimeoutMs: this.readTimeoutMs });
  }

  get log(): Logger {
    return this.opts.log;
  }

  proxyFor(url: string): string | undefined {
    return this.connections.proxyFor(url);
  }

  /** A network failure as a PystoreError about a registry (not an index). */
  mapError(error: unknown, url: string): PystoreError {
    const mapped = networkError(error, url, {
      proxy: this.proxyFor(url),
      connectTimeoutMs: this.connectTimeoutMs,
      readTimeoutMs: this.readTimeoutMs,
    });
    if (mapped.code !== "NETWORK" && mapped.code !== "TIMEOUT") return mapped;
    return new PystoreError(mapped.code, mapped.message, { hint: REGISTRY_HINT, cause: mapped.cause, details: mapped.details });
  }

  /** One request; GET and HEAD follow redirects. Throws PystoreError on network failure. */
  async requestOnce(url: string, req: RegistryRequest): Promise<RegistryResponse> {
    const { request } = await this.connections.undici();
    let current = url;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { "user-agent": "pystore", ...req.headers };
      if (req.authorization && new URL(current).origin === req.authOrigin) headers.authorization = req.authorization;
      const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : req.body();
      const dispatcher = await this.connections.dispatcherFor(current);
      this.opts.log.debug(`${req.method} ${redactUrl(current)}${headers.range ? ` (${headers.range})` : ""}`);
      let res: Dispatcher.ResponseData;
      try {
        res = await request(current, { method: req.method, headers, body, dispatcher });
      } catch (error) {
        if (body && !Buffer.isBuffer(body)) body.destroy();
        throw this.mapError(error, current);
      }
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
      this.opts.log.debug(`${res.statusCode} ${redactUrl(current)}`);
      if (res.statusCode === 407) {
        await res.body.dump().catch(() => {});
        throw new PystoreError(
          "PROXY_AUTH_REQUIRED",
          `the proxy ${redactUrl(this.proxyFor(current) ?? "(unknown)")} requires authentication (407)`,
          {
            hint: "put the credentials in the proxy URL: --proxy http://USER:PASSWORD@host:port (or in https_proxy/http_proxy)",
          },
        );
      }
      const follows = req.method === "GET" || req.method === "HEAD";
      if (follows && REDIRECTS.has(res.statusCode) && flat.location) {
        await res.body.dump().catch(() => {});
        if (hop >= MAX_REDIRECTS) throw new PystoreError("HTTP_STATUS", `too many redirects starting at ${redactUrl(url)}`);
        current = redirectTarget(flat.location, current);
        continue;
      }
      return { status: res.statusCode, headers: flat, body: res.body as unknown as ResponseBody, url: current };
    }
  }

  /**
   * A request retried with backoff on connection errors, 5xx and 429 when its method is idempotent;
   * other methods get one attempt (the upload layer restarts a session instead).
   */
  async request(url: string, req: RegistryRequest): Promise<RegistryResponse> {
    const retries = IDEMPOTENT.has(req.method) ? this.retries : 0;
    for (let attempt = 1; ; attempt++) {
      let wait: number;
      try {
        const res = await this.requestOnce(url, req);
        if (!(res.status >= 500 || res.status === 429) || attempt > retries) return res;
        await res.body.dump().catch(() => {});
        wait = this.backoff(attempt, res.headers["retry-after"]);
        this.opts.log.debug(`${res.status} from ${redactUrl(url)}; retrying in ${wait} ms`);
      } catch (error) {
        const mapped = error instanceof PystoreError ? error : this.mapError(error, url);
        if ((mapped.code !== "NETWORK" && mapped.code !== "TIMEOUT") || attempt > retries) throw mapped;
        wait = this.backoff(attempt);
        this.opts.log.debug(`${mapped.message}; retrying in ${wait} ms`);
      }
      await sleep(wait);
    }
  }

  close(): Promise<void> {
    return this.connections.close();
  }
}
