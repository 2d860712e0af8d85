// One registry as the OCI Distribution spec has it: the /v2/ ping, the Bearer token flow (realm, service,
// scope) and Basic auth, answered from RegistryCredentials; the registry's JSON errors as PystoreErrors.
// Tokens are cached per scope set until they expire; nothing secret is logged or put in a message.

import { PystoreError } from "../errors.js";
import { redactText, redactUrl } from "../util/redact.js";
import { type Challenge, mergeScopes, usableChallenge } from "./challenge.js";
import { basicAuthorization, type RegistryCredential, type RegistryCredentials } from "./credentials.js";
import type { RegistryHttp, RegistryRequest, RegistryResponse } from "./http.js";
import { isLoopbackHost, type OciReference, registryBaseUrl } from "./reference.js";

export interface RegistryOptions {
  http: RegistryHttp;
  credentials: RegistryCredentials;
  /** HOST or HOST:PORT entries spoken to over plain HTTP (loopback always is). */
  insecureRegistries: readonly string[];
}

export interface SendRequest extends Omit<RegistryRequest, "authorization" | "authOrigin"> {
  /** Token scopes the request needs, e.g. `repository:team/app:pull,push`. */
  scopes: string[];
  /** The repository whose credentials apply (auth files may hold per-namespace entries). */
  repository: string;
}

const LOGIN_HINT =
  "give pystore the registry's credentials: an `auths` entry in ~/.docker/config.json (what docker/podman login write) or $REGISTRY_AUTH_FILE, or a machine line in ~/.netrc";
/** Error bodies are small JSON; a larger one is read only this far. */
const ERROR_BODY_LIMIT = 64 * 1024;
/** A token without expires_in is good for 60 s (the Docker token spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;

/** Read at most `limit` bytes of a body, dropping the rest. */
export async function readLimited(res: RegistryResponse, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const b = chunk as Buffer;
    if (size + b.length > limit) {
      chunks.push(b.subarray(0, limit - size));
      res.body.destroy();
      break;
    }
    chunks.push(b);
    size += b.length;
  }
  return Buffer.concat(chunks);
}

export class Registry {
  readonly baseUrl: string;
  readonly origin: string;
  /** `HOST[:PORT]`, for messages. */
  readonly name: string;
  private challenge: Challenge | undefined;
  private pinged?: Promise<void>;
  private readonly tokens = new Map<string, { header: string; expiresAt: number }>();
  private readonly credentialCache = new Map<string, Promise<RegistryCredential | undefined>>();

  constructor(
    ref: Pick<OciReference, "registry" | "host">,
    private readonly opts: RegistryOptions,
  ) {
    this.name = ref.registry;
    this.baseUrl = registryBaseUrl(ref, opts.insecureRegistries);
    this.origin = new URL(this.baseUrl).origin;
  }

  get http(): RegistryHttp {
    return this.opts.http;
  }

  /** An absolute URL for a path below the registry (`/v2/…`) or a Location it handed out. */
  url(pathOrLocation: string): string {
    return new URL(pathOrLocation, this.baseUrl).toString();
  }

  /** GET /v2/ once: learns whether and how the registry wants authentication. */
  ping(): Promise<void> {
    this.pinged ??= (async () => {
      const url = this.url("/v2/");
      const res = await this.opts.http.request(url, { method: "GET", headers: { accept: "application/json" } });
      await res.body.dump().catch(() => {});
      if (res.status === 401) {
        this.challenge = usableChallenge(res.headers["www-authenticate"]);
        if (!this.challenge)
          throw new PystoreError(
            "AUTH_REQUIRED",
            `${this.name} wants authentication pystore cannot give (${res.headers["www-authenticate"] ?? "no WWW-Authenticate header"})`,
            {
              hint: "pystore answers Bearer (token) and Basic challenges",
            },
          );
        return;
      }
      if (res.status >= 200 && res.status < 300) return;
      throw new PystoreError(
        "HTTP_STATUS",
        `${redactUrl(url)} answered HTTP ${res.status}: not an OCI registry (the /v2/ endpoint is missing)`,
        {
          hint: "check the host and port of the oci:// reference",
        },
      );
    })();
    // A failed ping is tried again by the next caller (a registry that was restarted meanwhile).
    this.pinged.catch(() => {
      this.pinged = undefined;
    });
    return this.pinged;
  }

  /** A request with the authorization its scopes need; a 401 refreshes the token once (or learns the challenge). */
  async send(pathOrUrl: string, req: SendRequest): Promise<RegistryResponse> {
    await this.ping();
    const url = this.url(pathOrUrl);
    let scopes = mergeScopes(req.scopes);
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.authorization(scopes, req.repository, attempt > 0);
      const res = await this.opts.http.request(url, { ...req, authorization, authOrigin: this.origin });
      if (res.status !== 401) return res;
      await res.body.dump().catch(() => {});
      const challenge = usableChallenge(res.headers["www-authenticate"]);
      if (!challenge || attempt > 0) throw await this.unauthorized(req.repository);
      this.challenge = challenge;
      if (challenge.params.scope) scopes = mergeScopes([...scopes, ...challenge.params.scope.split(" ")]);
    }
  }

  private async unauthorized(repository: string): Promise<PystoreError> {
    const credential = await this.credential(repository);
    const message = credential
      ? `${this.name} refused the credentials for ${repository} (from ${credential.source})`
      : `${this.name} requires authentication for ${repository}, and no credentials for it were found`;
    return new PystoreError("AUTH_REQUIRED", message, { hint: LOGIN_HINT, details: { registry: this.name, repository } });
  }

  private credential(repository: string): Promise<RegistryCredential | undefined> {
    let found = this.credentialCache.get(repository);
    if (!found) {
      found = this.opts.credentials.lookup(this.name, repository);
      this.credentialCache.set(repository, found);
    }
    return found;
  }

  private async authorization(scopes: string[], repository: string, fresh: boolean): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === "basic") {
      const credential = await this.credential(repository);
      return credential ? basicAuthorization(credential) : undefined;
    }
    const key = scopes.join(" ");
    const cached = this.tokens.get(key);
    if (cached && !fresh && cached.expiresAt > Date.now()) return cached.header;
    const token = await this.fetchToken(challenge, scopes, repository);
    this.tokens.set(key, token);
    return token.header;
  }

  /** GET realm?service=…&scope=… (Basic credentials when there are any, anonymous otherwise). */
  private async fetchToken(challenge: Challenge, scopes: string[], repository: string): Promise<{ header: string; expiresAt: number }> {
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm);
    } catch {
      throw new PystoreError("INVALID_INDEX_RESPONSE", `${this.name} names a token realm that is not a URL`, {
        details: { registry: this.name },
      });
    }
    const credential = await this.credential(repository);
    // Credentials travel to the realm in clear only where the registry itself may be spoken to in clear.
    const plainAllowed = isLoopbackHost(realm.hostname.replace(/^\[|\]$/g, "")) || this.baseUrl.startsWith("http:");
    if (credential && realm.protocol !== "https:" && !plainAllowed) {
      throw new PystoreError(
        "AUTH_REQUIRED",
        `${this.name}'s token realm ${redactUrl(realm.toString())} is not HTTPS; refusing to send credentials there`,
        {
          hint: "use a registry whose token service speaks HTTPS, or name it with --insecure-registry if plain HTTP is really meant",
        },
      );
    }
    if (challenge.params.service) realm.searchParams.set("service", challenge.params.service);
    for (const scope of scopes) realm.searchParams.append("scope", scope);
    const started = Date.now();
    const res = await this.opts.http.request(realm.toString(), {
      method: "GET",
      headers: { accept: "application/json" },
      authorization: credential ? basicAuthorization(credential) : undefined,
      authOrigin: realm.origin,
    });
    const body = await readLimited(res, ERROR_BODY_LIMIT);
    if (res.status === 401 || res.status === 403) throw await this.unauthorized(repository);
    if (res.status !== 200)
      throw new PystoreError("HTTP_STATUS", `the token service of ${this.name} answered HTTP ${res.status}`, { hint: LOGIN_HINT });
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(body.toString("utf8")) as typeof parsed;
    } catch {
      throw new PystoreError("INVALID_INDEX_RESPONSE", `the token service of ${this.name} answered with something other than JSON`);
    }
    const token = typeof parsed.token === "string" && parsed.token ? parsed.token : parsed.access_token;
    if (typeof token !== "string" || !token)
      throw new PystoreError("INVALID_INDEX_RESPONSE", `the token service of ${this.name} answered without a token`);
    const seconds = typeof parsed.expires_in === "number" && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_SECONDS;
    // Renew a little early: a token that expires in flight costs a 401 round trip.
    return { header: `Bearer ${token}`, expiresAt: started + Math.max(1, seconds - 5) * 1000 };
  }

  /** The registry's error for a failed response (its JSON `errors` list when it sends one). */
  async errorFor(res: RegistryResponse, what: string): Promise<PystoreError> {
    const body =
      res.status === 404 || res.status >= 400 ? await readLimited(res, ERROR_BODY_LIMIT).catch(() => Buffer.alloc(0)) : Buffer.alloc(0);
    let detail = "";
    try {
      const parsed = JSON.parse(body.toString("utf8")) as { errors?: { code?: string; message?: string }[] };
      const first = parsed.errors?.[0];
      if (first) detail = `: ${[first.code, first.message].filter(Boolean).join(": ")}`;
    } catch {
      /* not JSON: the status says enough */
    }
    detail = redactText(detail).slice(0, 300);
    const message = `${this.name} answered HTTP ${res.status} for ${what}${detail}`;
    if (res.status === 404) return new PystoreError("ARTIFACT_NOT_FOUND", message, { details: { registry: this.name, status: 404 } });
    if (res.status === 401 || res.status === 403)
      return new PystoreError("AUTH_REQUIRED", message, { hint: LOGIN_HINT, details: { registry: this.name, status: res.status } });
    return new PystoreError("HTTP_STATUS", message, { details: { registry: this.name, status: res.status } });
  }
}
