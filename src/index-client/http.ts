// HTTP transport for index traffic: undici dispatchers (direct or through a proxy), per-URL credentials,
// manual redirects (Authorization never follows to another host), timeouts, bounded retries with backoff.

import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { PystoreError } from "../errors.js";
import type { Logger } from "../util/log.js";
import { silentLogger } from "../util/log.js";
import { redactUrl } from "../util/redact.js";
import type { CredentialStore } from "./auth.js";
import { proxyForUrl } from "./proxy.js";
import { loadCaBundle, sharedTlsConnector, tlsError } from "./tls.js";
import { loadUndiciCore, type UndiciCore } from "./undici-core.js";

export interface HttpOptions {
  proxy?: string;
  cert?: string;
  env: NodeJS.ProcessEnv;
  credentials: CredentialStore;
  log?: Logger;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
  /** Retries after the first attempt (connection errors, 5xx, 429). */
  retries?: number;
  /** First backoff delay; doubles per retry. */
  retryBaseMs?: number;
  /** Upper bound for any single wait, including a server's Retry-After. */
  retryMaxMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable & { text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer>; dump(): Promise<void> };
  /** The URL that answered (after redirects), credentials never included. */
  url: string;
  /** The user name of the credentials sent with the request that answered, if any were (never the secret). */
  sentUser?: string;
}

const CREDENTIAL_HINT =
  "pass credentials with --index-url https://USER:PASSWORD@host/simple/ (they also apply to downloads from that host) or put them in ~/.netrc ($NETRC)";

/**
 * A 401 or 403 in words: whether credentials were sent (and for which user) and refused, or none were.
 * `subject` names what was asked for; `proxy` is the proxy the request went through, which may be the
 * one refusing (tinyproxy answers 401, not 407, to wrong proxy credentials).
 */
export function refusedError(
  res: Pick<HttpResponse, "status" | "sentUser">,
  url: string,
  opts: { subject?: string; proxy?: string } = {},
): PystoreError {
  const what = opts.subject ? ` for ${opts.subject}` : "";
  const sent = res.sentUser !== undefined;
  const state =
    res.status === 401
      ? sent
        ? `the credentials sent for user ${JSON.stringify(res.sentUser)} were refused`
        : "authentication required, and no credentials were sent"
      : sent
        ? `access denied to user ${JSON.stringify(res.sentUser)}`
        : "access denied (no credentials were sent)";
  const viaProxy = opts.proxy
    ? `; the request went through the proxy ${redactUrl(opts.proxy)}, which may be the one refusing its credentials`
    : "";
  const host = (() => {
    try {
      return new URL(url).host;
    } catch {
      return "that host";
    }
  })();
  const hint = sent
    ? `check the user name and password (or token) for ${host}, from the index URL or ~/.netrc ($NETRC)${res.status === 403 ? ", and that this user may read this repository" : ""}${viaProxy}`
    : `${CREDENTIAL_HINT}${viaProxy}`;
  return new PystoreError("AUTH_REQUIRED", `${redactUrl(url)} answered ${res.status}${what}: ${state}`, {
    hint,
    details: { status: res.status, credentialsSent: sent },
  });
}

/** The user name in an Authorization header we sent, for messages (Basic only; a token has none). */
function userOf(authorization: string): string {
  if (!authorization.startsWith("Basic ")) return "(token)";
  const decoded = Buffer.from(authorization.slice(6), "base64").toString("utf8");
  return decoded.slice(0, Math.max(0, decoded.indexOf(":")));
}

export interface RequestOptions {
  method?: "GET" | "HEAD";
  headers?: Record<string, string>;
  /** Statuses returned to the caller instead of retried (e.g. a 5xx the caller reports itself). Default: none. */
  noRetry?: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

/**
 * A response body read whole, refused past `limit` bytes: by Content-Length before anything is read,
 * else as soon as the running count passes it, so a huge or endless body never sits in memory.
 */
export async function readBodyLimited(res: HttpResponse, limit: number, tooLarge: (declared?: number) => PystoreError): Promise<Buffer> {
  const declared = res.headers["content-length"];
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) {
    res.body.destroy();
    throw tooLarge(Number(declared));
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      res.body.destroy();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Delay from a Retry-After header (seconds or HTTP date), if it has one. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: string }).code;
    if (code) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isProxyAuthError(error: unknown): boolean {
  const message = String((error as Error)?.message ?? "");
  return /Proxy Authentication Required \(407\)|Proxy response \(407\)/.test(message);
}

// DNS failures, refused connections and timeouts mostly mean a wrong URL, a missing proxy, or no network at all.
const OFFLINE_HINT =
  "check the index URL and the proxy variables (https_proxy, http_proxy, no_proxy), or work without the network: --offline, or --no-index --find-links DIR";

/** Turn a thrown network error into a PystoreError naming the (redacted) URL. */
export function networkError(
  error: unknown,
  url: string,
  opts: { proxy?: string; connectTimeoutMs: number; readTimeoutMs: number },
): PystoreError {
  if (error instanceof PystoreError) return error;
  const tls = tlsError(error, url);
  if (tls) return tls;
  if (isProxyAuthError(error)) return proxyAuthError(opts.proxy);
  const proxyStatus = /Proxy response \((\d+)\)/.exec(String((error as Error)?.message ?? ""));
  if (proxyStatus) {
    return new PystoreError(
      "NETWORK",
      `proxy ${redactUrl(opts.proxy ?? "")} refused to connect to ${redactUrl(url)} (status ${proxyStatus[1]})`,
      {
        hint: "check the proxy's allowed ports and destinations, or exclude the host with no_proxy",
        cause: error,
      },
    );
  }
  const code = errorCode(error);
  if (code === "UND_ERR_CONNECT_TIMEOUT") {
    return new PystoreError("TIMEOUT", `timed out connecting to ${redactUrl(url)} after ${opts.connectTimeoutMs} ms`, {
      cause: error,
      hint: `raise --connect-timeout; ${OFFLINE_HINT}`,
    });
  }
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
    return new PystoreError("TIMEOUT", `timed out reading from ${redactUrl(url)}: no data for ${opts.readTimeoutMs} ms`, {
      cause: error,
      hint: `the server stalled: retry later or raise --read-timeout; ${OFFLINE_HINT}`,
    });
  }
  const via = opts.proxy ? ` (via proxy ${redactUrl(opts.proxy)})` : "";
  const words = code ? connectionWords(code, url, opts.proxy) : undefined;
  return new PystoreError(
    "NETWORK",
    `cannot reach ${redactUrl(url)}${via}: ${words ? `${words} (${code})` : (code ?? (error as Error)?.message ?? String(error))}`,
    { cause: error, hint: OFFLINE_HINT, ...(code ? { details: { errno: code } } : {}) },
  );
}

/** What a connection failure means, in words; the errno code stays beside it for searching. */
function connectionWords(code: string, url: string, proxy: string | undefined): string | undefined {
  let host = "the host";
  try {
    host = new URL(proxy ?? url).host;
  } catch {
    // keep the generic word
  }
  const what = proxy ? `the proxy ${host}` : host;
  switch (code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the name ${what.replace(/^the proxy /, "")} does not resolve (DNS)`;
    case "ECONNREFUSED":
      return `nothing accepts connections at ${what} (connection refused)`;
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return `${what} closed the connection`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `no network route to ${what}`;
    case "ETIMEDOUT":
      return `${what} did not answer`;
    default:
      return undefined;
  }
}

function proxyAuthError(proxy: string | undefined): PystoreError {
  return new PystoreError("PROXY_AUTH_REQUIRED", `the proxy ${redactUrl(proxy ?? "(unknown)")} requires authentication (407)`, {
    hint: "put the credentials in the proxy URL: --proxy http://USER:PASSWORD@host:port (or in https_proxy/http_proxy)",
  });
}

/** Errors worth another attempt: the network hiccuped, not the request was wrong. */
function isTransient(error: unknown): boolean {
  if (error instanceof PystoreError) return error.code === "NETWORK" || error.code === "TIMEOUT";
  return false;
}

/**
 * The one way pystore connects, for indexes and registries alike: one undici dispatcher per proxy (or
 * direct), the proxy chosen per URL (--proxy, *_proxy, no_proxy), plain HTTP forwarded as an absolute URI
 * and HTTPS through CONNECT, trusting the CA bundle (--cert, SSL_CERT_FILE) besides the system's roots.
 */
/** Where a redirect leads, without any credentials its Location carries (they must not reach later requests or logs). */
export function redirectTarget(location: string, current: string): string {
  const next = new URL(location, current);
  next.username = "";
  next.password = "";
  return next.toString();
}

export class Connections {
  private readonly dispatchers = new Map<string, Dispatcher>();
  private ca?: Promise<string[] | undefined>;
  /** undici loads only when a command really talks to the network (keeps `pystore --help` fast). */
  private undiciModule?: Promise<UndiciCore>;

  constructor(
    private readonly opts: { proxy?: string; cert?: string; env: NodeJS.ProcessEnv; connectTimeoutMs: number; readTimeoutMs: number },
  ) {}

  undici(): Promise<UndiciCore> {
    // Only the parts used (./undici-core.ts), loaded on the first request.
    this.undiciModule ??= Promise.resolve().then(loadUndiciCore);
    return this.undiciModule;
  }

  proxyFor(url: string): string | undefined {
    return proxyForUrl(url, { proxy: this.opts.proxy, env: this.opts.env });
  }

  async dispatcherFor(url: string): Promise<Dispatcher> {
    const proxy = this.proxyFor(url);
    const key = proxy ?? "direct";
    const existing = this.dispatchers.get(key);
    if (existing) return existing;
    this.ca ??= loadCaBundle(this.opts.cert, this.opts.env);
    const [{ Agent, ProxyAgent, Pool, buildConnector }, ca] = await Promise.all([this.undici(), this.ca]);
    const timeouts = { headersTimeout: this.opts.readTimeoutMs, bodyTimeout: this.opts.readTimeoutMs };
    // rejectUnauthorized is explicit: Node's default follows NODE_TLS_REJECT_UNAUTHORIZED, and an environment
    // variable must never switch verification off (a private CA goes in with --cert / SSL_CERT_FILE instead).
    const connect = { timeout: this.opts.connectTimeoutMs, rejectUnauthorized: true };
    const tls = { ...connect, ...(ca ? { ca } : {}) };
    const dispatcher = proxy
      ? new ProxyAgent({
          uri: proxy,
          proxyTunnel: false,
          requestTls: tls,
          proxyTls: tls,
          ...timeouts,
          factory: (origin: string | URL, options: object) => new Pool(origin, { ...options, ...timeouts }),
        })
      : new Agent({ connect: sharedTlsConnector(buildConnector, connect, ca), ...timeouts });
    this.dispatchers.set(key, dispatcher);
    return dispatcher;
  }

  async close(): Promise<void> {
    const all = [...this.dispatchers.values()];
    this.dispatchers.clear();
    await Promise.all(all.map((d) => d.close().catch(() => {})));
  }
}

/** Timeouts and retries with their defaults, shared by index and registry transports. */
export class RetryPolicy {
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(opts: Pick<HttpOptions, "connectTimeoutMs" | "readTimeoutMs" | "retries" | "retryBaseMs" | "retryMaxMs">) {
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.readTimeoutMs = opts.readTimeoutMs ?? 30_000;
    this.retries = opts.retries ?? 3;
    this.retryBaseMs = opts.retryBaseMs ?? 250;
    this.retryMaxMs = opts.retryMaxMs ?? 10_000;
  }

  /** Exponential backoff for attempt n (1-based), honouring Retry-After, capped. */
  backoff(attempt: number, retryAfter?: string): number {
    const fromServer = retryAfterMs(retryAfter);
    return Math.min(this.retryMaxMs, fromServer ?? this.retryBaseMs * 2 ** (attempt - 1));
  }
}

export class HttpTransport extends RetryPolicy {
  private readonly log: Logger;
  private readonly connections: Connections;

  constructor(private readonly opts: HttpOptions) {
    super(opts);
    this.log = opts.log ?? silentLogger;
    this.connections = new Connections({ ...opts, connectTimeoutMs: this.connectTimeoutMs, readTimeoutMs: this.readTimeoutMs });
  }

  proxyFor(url: string): string | undefined {
    return proxyForUrl(url, { proxy: this.opts.proxy, env: this.opts.env });
  }

  /** One request, following redirects; credentials are chosen per URL. Throws PystoreError on network failure. */
  async requestOnce(url: string, options: RequestOptions = {}): Promise<HttpResponse> {
    // undici loads on the first request only: commands that never touch the network start faster.
    const { request } = await this.connections.undici();
    let current = url;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { "user-agent": "pystore", ...options.headers };
      const auth = await this.opts.credentials.authorizationFor(current);
      if (auth) headers.authorization = auth;
      const proxy = this.proxyFor(current);
      const dispatcher = await this.connections.dispatcherFor(current);
      this.log.debug(
        `${options.method ?? "GET"} ${redactUrl(current)}${proxy ? ` via ${redactUrl(proxy)}` : ""}${headers.range ? ` (${headers.range})` : ""}`,
      );
      let res: Dispatcher.ResponseData;
      try {
        res = await request(current, { method: options.method ?? "GET", headers, dispatcher });
      } catch (error) {
        throw networkError(error, current, { proxy, connectTimeoutMs: this.connectTimeoutMs, readTimeoutMs: this.readTimeoutMs });
      }
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
      this.log.debug(`${res.statusCode} ${redactUrl(current)}`);
      if (res.statusCode === 407) {
        await res.body.dump().catch(() => {});
        throw proxyAuthError(proxy);
      }
      if (REDIRECTS.has(res.statusCode) && flat.location) {
        await res.body.dump().catch(() => {});
        if (hop >= MAX_REDIRECTS) throw new PystoreError("HTTP_STATUS", `too many redirects starting at ${redactUrl(url)}`);
        current = redirectTarget(flat.location, current);
        continue;
      }
      return {
        status: res.statusCode,
        headers: flat,
        body: res.body as unknown as HttpResponse["body"],
        url: current,
        ...(auth ? { sentUser: userOf(auth) } : {}),
      };
    }
  }

  /**
   * A request with bounded retries on connection errors, 5xx and 429. `consume` reads the body; a failure
   * while reading is retried too. Non-retryable statuses are handed to `consume` as they are.
   */
  async request<T>(url: string, options: RequestOptions, consume: (res: HttpResponse) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let wait: number;
      try {
        const res = await this.requestOnce(url, options);
        const retryable = res.status >= 500 || res.status === 429;
        if (!retryable || options.noRetry || attempt > this.retries) return await consume(res);
        await res.body.dump().catch(() => {});
        wait = this.backoff(attempt, res.headers["retry-after"]);
        this.log.debug(`${res.status} from ${redactUrl(url)}; retrying in ${wait} ms (attempt ${attempt + 1} of ${this.retries + 1})`);
      } catch (error) {
        const mapped =
          error instanceof PystoreError
            ? error
            : networkError(error, url, {
                proxy: this.proxyFor(url),
                connectTimeoutMs: this.connectTimeoutMs,
                readTimeoutMs: this.readTimeoutMs,
              });
        if (!isTransient(mapped) || attempt > this.retries) throw mapped;
        wait = this.backoff(attempt);
        this.log.debug(`${mapped.message}; retrying in ${wait} ms (attempt ${attempt + 1} of ${this.retries + 1})`);
      }
      await sleep(wait);
    }
  }

  close(): Promise<void> {
    return this.connections.close();
  }
}
