// OCI references as pystore spells them, `oci://HOST[:PORT]/REPO[:TAG|@sha256:HEX]`, checked against the
// grammar of the OCI Distribution spec (repository path components, tags, sha256 digests). Pure: no I/O.

import { caretMessage, PystoreError } from "../errors.js";

export const OCI_SCHEME = "oci://";

export interface OciReference {
  /** `HOST[:PORT]` exactly as written (lower-cased host): the key for credentials and --insecure-registry. */
  registry: string;
  /** Host name or IP literal, without brackets. */
  host: string;
  port?: number;
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>` */
  digest?: string;
}

// Distribution's grammar: path components of lower-case alphanumerics joined by `.`, `_`, `__` or runs of `-`.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST_NAME = /^(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])(?:\.(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9]))*$/;
const MAX_NAME = 255;

const EXAMPLE = "oci://registry.example:5000/team/pystore:v1";

function invalid(input: string, problem: string, at: number, length = 1): PystoreError {
  return new PystoreError("INVALID_REFERENCE", caretMessage(`invalid OCI reference: ${problem}`, input, at, length), {
    hint: `write it as oci://HOST[:PORT]/REPOSITORY[:TAG|@sha256:DIGEST], e.g. ${EXAMPLE}`,
    details: { reference: input },
  });
}

/** Is `text` meant as an OCI reference (by its scheme)? */
export function isOciReference(text: string): boolean {
  return text.toLowerCase().startsWith(OCI_SCHEME);
}

/** Parse `oci://HOST[:PORT]/REPO[:TAG][@sha256:HEX]`; INVALID_REFERENCE with a caret under the bad part. */
export function parseReference(input: string): OciReference {
  if (!isOciReference(input)) failScheme(input);
  const rest = input.slice(OCI_SCHEME.length);
  const slash = rest.indexOf("/");
  if (slash <= 0) throw invalid(input, "expected HOST/REPOSITORY after oci://", OCI_SCHEME.length, Math.max(1, rest.length));
  const authority = rest.slice(0, slash);
  if (authority.includes("@"))
    throw invalid(
      input,
      "credentials do not belong in a reference (they would show in process lists and logs)",
      OCI_SCHEME.length,
      authority.length,
    );
  const { host, port } = parseAuthority(input, authority);
  let path = rest.slice(slash + 1);
  const pathStart = OCI_SCHEME.length + slash + 1;
  let tag: string | undefined;
  let digest: string | undefined;
  const at = path.indexOf("@");
  if (at >= 0) {
    digest = path.slice(at + 1);
    if (!DIGEST.test(digest))
      throw invalid(input, "a digest is sha256: followed by 64 lower-case hex digits", pathStart + at + 1, digest.length);
    path = path.slice(0, at);
  }
  {
    // `REPO:TAG@DIGEST` is allowed (the digest decides what is read), as Docker allows it.
    const colon = path.lastIndexOf(":");
    if (colon >= 0) {
      tag = path.slice(colon + 1);
      if (!TAG.test(tag))
        throw invalid(
          input,
          "a tag is 1–128 of A-Z a-z 0-9 _ . - and does not start with . or -",
          pathStart + colon + 1,
          Math.max(1, tag.length),
        );
      path = path.slice(0, colon);
    }
  }
  checkRepository(input, path, pathStart);
  const registry = port === undefined ? formatHost(host) : `${formatHost(host)}:${port}`;
  return {
    registry,
    host,
    ...(port === undefined ? {} : { port }),
    repository: path,
    ...(tag ? { tag } : {}),
    ...(digest ? { digest } : {}),
  };
}

function failScheme(input: string): never {
  throw new PystoreError("INVALID_REFERENCE", `invalid OCI reference ${JSON.stringify(input)}: it does not start with oci://`, {
    hint: `write it as oci://HOST[:PORT]/REPOSITORY[:TAG|@sha256:DIGEST], e.g. ${EXAMPLE}`,
    details: { reference: input },
  });
}

function parseAuthority(input: string, authority: string): { host: string; port?: number } {
  const start = OCI_SCHEME.length;
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close < 0) throw invalid(input, "unterminated IPv6 address", start, authority.length);
    host = authority.slice(1, close).toLowerCase();
    if (!/^[0-9a-f:.]+$/.test(host) || !host.includes(":")) throw invalid(input, "not an IPv6 address", start + 1, close - 1);
    const after = authority.slice(close + 1);
    if (after !== "" && !after.startsWith(":"))
      throw invalid(input, "expected :PORT after the IPv6 address", start + close + 1, after.length);
    portText = after === "" ? undefined : after.slice(1);
  } else {
    const colon = authority.indexOf(":");
    host = (colon < 0 ? authority : authority.slice(0, colon)).toLowerCase();
    portText = colon < 0 ? undefined : authority.slice(colon + 1);
    if (!HOST_NAME.test(host)) throw invalid(input, "not a host name or IP address", start, Math.max(1, host.length));
  }
  if (portText === undefined) return { host };
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535)
    throw invalid(input, "a port is a number from 1 to 65535", start + authority.length - portText.length, Math.max(1, portText.length));
  return { host, port };
}

function checkRepository(input: string, path: string, start: number): void {
  if (path === "") throw invalid(input, "the repository is missing", start);
  if (path.length > MAX_NAME) throw invalid(input, `a repository name has at most ${MAX_NAME} characters`, start, path.length);
  let offset = start;
  for (const component of path.split("/")) {
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(
        input,
        "repository path components are lower-case letters and digits, joined by . _ __ or -",
        offset,
        Math.max(1, component.length),
      );
    }
    offset += component.length + 1;
  }
}

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** The reference written back, `oci://HOST[:PORT]/REPO[:TAG][@DIGEST]`. */
export function formatReference(ref: OciReference): string {
  return `${OCI_SCHEME}${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** The same repository with another tag or digest (and not both). */
export function withTarget(ref: OciReference, target: { tag?: string; digest?: string }): OciReference {
  const { tag: _tag, digest: _digest, ...base } = ref;
  return { ...base, ...(target.tag ? { tag: target.tag } : {}), ...(target.digest ? { digest: target.digest } : {}) };
}

/** Is `tag` a valid OCI tag? */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Is `host` this machine (localhost, 127.0.0.0/8, ::1)? Such registries may speak plain HTTP. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || /^127(?:\.\d{1,3}){3}$/.test(h);
}

/**
 * The registry's base URL. HTTPS always, except on loopback and for registries listed with
 * --insecure-registry (`HOST` or `HOST:PORT`), which are spoken to over plain HTTP.
 */
export function registryBaseUrl(ref: Pick<OciReference, "registry" | "host">, insecureRegistries: readonly string[] = []): string {
  const listed = insecureRegistries.some((entry) => {
    const e = entry.trim().toLowerCase();
    return e === ref.registry || e === ref.host || e === formatHost(ref.host);
  });
  return `${isLoopbackHost(ref.host) || listed ? "http" : "https"}://${ref.registry}`;
}
