// Which proxy a request goes through: --proxy, else http_proxy/https_proxy/all_proxy (lower case wins, as in
// curl), minus no_proxy. Pure: the environment is a parameter.

import { PystoreError } from "../errors.js";
import { redactUrl } from "../util/redact.js";

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const lower = env[name.toLowerCase()];
  if (lower !== undefined && lower.trim() !== "") return lower.trim();
  const upper = env[name.toUpperCase()];
  return upper !== undefined && upper.trim() !== "" ? upper.trim() : undefined;
}

/** A proxy URL as users write it ("host:3128" means http://host:3128), validated. */
export function normalizeProxyUrl(proxy: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new PystoreError("INVALID_CONFIG", `invalid proxy URL ${JSON.stringify(redactUrl(proxy))}`, {
      hint: "write it as http://[user:password@]host:port",
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new PystoreError("INVALID_CONFIG", `unsupported proxy scheme ${JSON.stringify(url.protocol)} in ${redactUrl(proxy)}`, {
      hint: "use an http:// or https:// proxy",
    });
  }
  return url.toString();
}

function defaultPort(protocol: string): string {
  return protocol === "https:" ? "443" : protocol === "http:" ? "80" : "";
}

/** curl's no_proxy rules: "*", host names (a leading "." or "*." optional; subdomains match), optional ":port", IPs. */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port || defaultPort(url.protocol);
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return true;
    let entryPort: string | undefined;
    const portMatch = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (portMatch) {
      entry = portMatch[1];
      entryPort = portMatch[2];
    }
    entry = entry.replace(/^\[|\]$/g, "").replace(/^\*?\./, "");
    if (entryPort !== undefined && entryPort !== port) continue;
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/** The proxy for `url`, or undefined for a direct connection. */
export function proxyForUrl(url: string | URL, opts: { proxy?: string; env: NodeJS.ProcessEnv }): string | undefined {
  const target = typeof url === "string" ? new URL(url) : url;
  if (target.protocol !== "http:" && target.protocol !== "https:") return undefined;
  if (bypassesProxy(target, envValue(opts.env, "no_proxy"))) return undefined;
  if (opts.proxy) return normalizeProxyUrl(opts.proxy);
  const scheme = target.protocol === "https:" ? "https_proxy" : "http_proxy";
  const chosen = envValue(opts.env, scheme) ?? envValue(opts.env, "all_proxy");
  return chosen ? normalizeProxyUrl(chosen) : undefined;
}
