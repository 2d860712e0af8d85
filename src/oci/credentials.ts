// Registry credentials: `auths` entries of $REGISTRY_AUTH_FILE and of the Docker config ($DOCKER_CONFIG/
// config.json, else ~/.docker/config.json), then ~/.netrc ($NETRC) through the index client's credential code.
// A secret leaves this module only inside an Authorization header; messages name files and keys, never values.

import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import { CredentialStore } from "../index-client/auth.js";
import type { Logger } from "../util/log.js";

export interface RegistryCredential {
  username: string;
  password: string;
  /** Where it came from (a file path or "netrc"), for debug logs. */
  source: string;
}

interface AuthEntry {
  /** `host[:port]` or `host[:port]/namespace`, lower-cased, no scheme. */
  key: string;
  username?: string;
  password?: string;
  identityToken: boolean;
}

/** An `auths` key as people write it (`https://host/v1/`, `host:port`, `host/ns`) → `host[:port][/ns]`. */
export function normalizeAuthKey(key: string): string {
  let k = key
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, "");
  // Docker Hub's legacy key carries an API path that names no namespace.
  k = k.replace(/\/v[12]\/?$/, "");
  return k.replace(/\/+$/, "");
}

function configError(path: string, problem: string): PystoreError {
  return new PystoreError("INVALID_CONFIG", `${path}: ${problem}`, {
    hint: 'registry auth files look like {"auths": {"HOST:PORT": {"auth": "base64(USER:PASSWORD)"}}}',
    details: { path },
  });
}

/** The `auths` table of a Docker/containers auth file. Pure; values are validated, never quoted. */
export function parseAuthFile(text: string, path: string): AuthEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw configError(path, "is not valid JSON");
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw configError(path, "is not a JSON object");
  const auths = (doc as Record<string, unknown>).auths;
  if (auths === undefined) return [];
  if (!auths || typeof auths !== "object" || Array.isArray(auths)) throw configError(path, '"auths" is not an object');
  const out: AuthEntry[] = [];
  for (const [key, raw] of Object.entries(auths as Record<string, unknown>)) {
    if (!raw || typeof raw !== "object") throw configError(path, `auths[${JSON.stringify(key)}] is not an object`);
    const entry = raw as Record<string, unknown>;
    const parsed: AuthEntry = {
      key: normalizeAuthKey(key),
      identityToken: typeof entry.identitytoken === "string" && entry.identitytoken !== "",
    };
    if (typeof entry.auth === "string" && entry.auth !== "") {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0 || !/^[A-Za-z0-9+/=\s]+$/.test(entry.auth))
        throw configError(path, `auths[${JSON.stringify(key)}].auth is not base64 of USER:PASSWORD`);
      parsed.username = decoded.slice(0, colon);
      parsed.password = decoded.slice(colon + 1);
    } else if (typeof entry.username === "string" && typeof entry.password === "string") {
      parsed.username = entry.username;
      parsed.password = entry.password;
    }
    out.push(parsed);
  }
  return out;
}

/** The entry for a registry and repository: the longest key that is the registry or a namespace prefix of it. */
export function lookupAuth(entries: readonly AuthEntry[], registry: string, repository: string): AuthEntry | undefined {
  const full = `${registry.toLowerCase()}/${repository}`;
  let best: AuthEntry | undefined;
  for (const entry of entries) {
    const matches = entry.key === registry.toLowerCase() || full === entry.key || full.startsWith(`${entry.key}/`);
    if (matches && (!best || entry.key.length > best.key.length)) best = entry;
  }
  return best;
}

export class RegistryCredentials {
  private files?: Promise<{ path: string; entries: AuthEntry[] }[]>;
  private readonly netrc: CredentialStore;
  private readonly warned = new Set<string>();

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Logger,
  ) {
    this.netrc = new CredentialStore(env, log);
  }

  /** Auth files in the order they are consulted: $REGISTRY_AUTH_FILE, then the Docker config. */
  authFilePaths(): string[] {
    const home = this.env.HOME?.trim() || homedir();
    const docker = this.env.DOCKER_CONFIG?.trim()
      ? join(this.env.DOCKER_CONFIG.trim(), "config.json")
      : join(home, ".docker", "config.json");
    const named = this.env.REGISTRY_AUTH_FILE?.trim();
    return named ? [named, docker] : [docker];
  }

  private loadFiles(): Promise<{ path: string; entries: AuthEntry[] }[]> {
    this.files ??= (async () => {
      const out: { path: string; entries: AuthEntry[] }[] = [];
      for (const path of this.authFilePaths()) {
        let text: string;
        try {
          text = await readFile(path, "utf8");
        } catch (error) {
          // A missing Docker config is normal; a named $REGISTRY_AUTH_FILE that cannot be read is worth a word.
          if (path === this.env.REGISTRY_AUTH_FILE?.trim())
            this.log.warn(
              `$REGISTRY_AUTH_FILE names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}); no credentials are read from it`,
            );
          continue;
        }
        out.push({ path, entries: parseAuthFile(text, path) });
      }
      return out;
    })();
    return this.files;
  }

  /** The username and password for `registry` (HOST[:PORT]) and `repository`, if any source has them. */
  async lookup(registry: string, repository: string): Promise<RegistryCredential | undefined> {
    for (const file of await this.loadFiles()) {
      const entry = lookupAuth(file.entries, registry, repository);
      if (!entry) continue;
      if (entry.username !== undefined && entry.password !== undefined) {
        this.log.debug(`using credentials for ${registry} from ${file.path}`);
        return { username: entry.username, password: entry.password, source: file.path };
      }
      if (entry.identityToken && !this.warned.has(file.path)) {
        this.warned.add(file.path);
        this.log.warn(
          `${file.path}: the entry for ${registry} holds an identity token only, which pystore cannot use; log in with a username and password`,
        );
      }
    }
    const header = await this.netrc.authorizationFor(`https://${registry}/`);
    if (header?.startsWith("Basic ")) {
      const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source: "netrc" };
    }
    return undefined;
  }
}

/** `Basic base64(user:password)` */
export function basicAuthorization(credential: Pick<RegistryCredential, "username" | "password">): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString("base64")}`;
}
