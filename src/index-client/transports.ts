// Transports by URL scheme: the one place that decides how a file URL is downloaded and its metadata read.
// http and https go through HttpTransport; file reads the disk. A remote store (`oci://`, `s3://`) is one more
// entry in TRANSPORTS; any other scheme is an UNSUPPORTED_URL error naming the (redacted) URL.

import { PystoreError } from "../errors.js";
import type { ProjectFile } from "../standards/simple-api.js";
import type { Written } from "../util/atomic-write.js";
import type { Logger } from "../util/log.js";
import { redactUrl } from "../util/redact.js";
import { type DownloadOptions, downloadHttp, downloadLocal } from "./download.js";
import type { HttpTransport } from "./http.js";
import { fetchHttpMetadata, readLocalMetadata } from "./metadata.js";

/** What every transport is given by the index client. */
export interface TransportContext {
  http: HttpTransport;
  offline: boolean;
  log: Logger;
}

export interface Transport {
  /** True when the transport needs no network (so it works with --offline and needs no cache). */
  readonly local: boolean;
  /** The wheel's core metadata (METADATA text). */
  metadata(file: ProjectFile): Promise<string>;
  /** Write the file to `destination` through the atomic write protocol, verified against `expected`. */
  download(file: ProjectFile, destination: string, opts: DownloadOptions): Promise<Written>;
}

type TransportFactory = (ctx: TransportContext) => Transport;

const httpTransport: TransportFactory = (ctx) => ({
  local: false,
  metadata: (file) => fetchHttpMetadata(ctx.http, file, ctx.log),
  download: (file, destination, opts) => downloadHttp(ctx.http, file, destination, { ...opts, offline: ctx.offline, log: ctx.log }),
});

const fileTransport: TransportFactory = () => ({
  local: true,
  metadata: (file) => readLocalMetadata(file),
  download: (file, destination, opts) => downloadLocal(file, destination, opts),
});

/** Scheme (as URL.protocol spells it, with the colon) → transport. */
const TRANSPORTS: ReadonlyMap<string, TransportFactory> = new Map([
  ["http:", httpTransport],
  ["https:", httpTransport],
  ["file:", fileTransport],
]);

/** The schemes pystore can read files from, for messages and docs. */
export const SUPPORTED_SCHEMES: readonly string[] = [...TRANSPORTS.keys()].map((s) => s.slice(0, -1));

/** The scheme of `url`, lower-case with its colon ("https:"), or undefined when it has none. */
export function schemeOf(url: string): string | undefined {
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  return match ? `${match[1].toLowerCase()}:` : undefined;
}

/** Does a transport serve `url`? */
export function isSupportedUrl(url: string): boolean {
  const scheme = schemeOf(url);
  return scheme !== undefined && TRANSPORTS.has(scheme);
}

/** The transport for `url`; an unknown or missing scheme is an UNSUPPORTED_URL error. */
export function transportFor(url: string, ctx: TransportContext): Transport {
  const scheme = schemeOf(url);
  const factory = scheme === undefined ? undefined : TRANSPORTS.get(scheme);
  if (!factory) {
    const what = scheme === undefined ? "has no scheme" : `uses the unsupported scheme ${JSON.stringify(scheme.slice(0, -1))}`;
    throw new PystoreError("UNSUPPORTED_URL", `${redactUrl(url)} ${what}`, {
      hint: `pystore reads files over ${SUPPORTED_SCHEMES.join(", ")}`,
      details: { url: redactUrl(url), scheme: scheme?.slice(0, -1) ?? null },
    });
  }
  return factory(ctx);
}
