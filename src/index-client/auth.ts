// Credentials for index requests: user:password in an index URL, else ~/.netrc ($NETRC). They are attached per
// request URL (never copied along a redirect to another host) and never leave this module except as a header.

import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Logger } from "../util/log.js";
import { netrcLookup, parseNetrc, type Netrc } from "./netrc.js";

interface UrlCredential {
  origin: string;
  pathPrefix: string;
  header: string;
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

/** $NETRC paths already warned about, so a process says it once however many clients it makes. */
const warnedNetrc = new Set<string>();

export class CredentialStore {
  private readonly fromUrls: UrlCredential[] = [];
  private netrc: Promise<Netrc | undefined> | undefined;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly log?: Logger,
  ) {}

  /** Remember the credentials in `url` (if any); returns the URL without them. */
  register(url: string): string {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      const header = basic(decodeURIComponent(parsed.username), decodeURIComponent(parsed.password));
      parsed.username = "";
      parsed.password = "";
      this.fromUrls.push({ origin: parsed.origin, pathPrefix: parsed.pathname, header });
      // Longest prefix first: two indexes on one host may use different tokens.
      this.fromUrls.sort((a, b) => b.pathPrefix.length - a.pathPrefix.length);
    }
    return parsed.toString();
  }

  private loadNetrc(): Promise<Netrc | undefined> {
    this.netrc ??= (async () => {
      const named = this.env.NETRC?.trim();
      const path = named || join(this.env.HOME?.trim() || homedir(), ".netrc");
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        // A missing ~/.netrc is normal; a $NETRC that cannot be read is a mistake that would otherwise only
        // show up later as a confusing 401. Once per process: several clients may share one environment.
        if (named && !warnedNetrc.has(path)) {
          warnedNetrc.add(path);
          const code = (error as NodeJS.ErrnoException).code;
          this.log?.warn(
            code === "ENOENT"
              ? `$NETRC names ${path}, which does not exist; no credentials are read from it`
              : `$NETRC names ${path}, which cannot be read (${code ?? (error as Error).message}); no credentials are read from it`,
          );
        }
        return undefined;
      }
      this.log?.debug(`using credentials from ${path}`);
      return parseNetrc(text, path);
    })();
    return this.netrc;
  }

  /** The Authorization header for a request to `url`, if any credential applies to it. */
  async authorizationFor(url: string): Promise<string | undefined> {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return undefined;
    const sameOrigin = this.fromUrls.filter((c) => c.origin === parsed.origin);
    const byPath = sameOrigin.find((c) => parsed.pathname.startsWith(c.pathPrefix)) ?? sameOrigin[0];
    if (byPath) return byPath.header;
    const netrc = await this.loadNetrc();
    const entry = netrc && netrcLookup(netrc, parsed.hostname);
    if (entry?.login !== undefined || entry?.password !== undefined) return basic(entry.login ?? "", entry.password ?? "");
    return undefined;
  }
}
