// The store as a simple repository: PEP 503 HTML + PEP 691 JSON (api 1.1), sha256 fragments,
// data-requires-python, PEP 658/714 `.metadata` files. Wheel bytes are verified before they are sent
// and streamed (src/store/serve-file.ts), never held in memory whole.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { PystoreError } from "../errors.js";
import { canonicalizeName, isValidProjectName } from "../standards/normalize.js";
import { sortVersions } from "../standards/pep440.js";
import { Semaphore } from "../util/semaphore.js";
import type { StoreEntry } from "./entries.js";
import { sha256Hex } from "./layout.js";
import { FileVerifier, MAX_CONCURRENT_VERIFICATIONS, sendFile } from "./serve-file.js";
import type { Store } from "./store.js";

const JSON_TYPE = "application/vnd.pypi.simple.v1+json";
const HTML_V1_TYPE = "application/vnd.pypi.simple.v1+html";
const API_VERSION = "1.1";
const IDLE_TIMEOUT_MS = 60_000;
/**
 * The longest request target answered: index URLs are a project name or a 64-hex digest and a wheel
 * name, far below this; anything longer is 414 before it is decoded or matched.
 */
export const MAX_URL_LENGTH = 8192;

export interface ServeOptions {
  host?: string;
  port?: number;
}

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** PEP 691 negotiation, simplified to what installers send: JSON when asked for, else HTML. */
function wantsJson(req: IncomingMessage): { json: boolean; htmlType: string } {
  const accept = String(req.headers.accept ?? "");
  const offered = accept.split(",").map((part) => {
    const [type, ...params] = part.trim().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return { type: type.trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1 };
  });
  const score = (types: string[]) => Math.max(0, ...offered.filter((o) => types.includes(o.type)).map((o) => o.q));
  const json = score([JSON_TYPE, "application/vnd.pypi.simple.latest+json"]);
  const html = score([HTML_V1_TYPE, "application/vnd.pypi.simple.latest+html", "text/html", "*/*"]);
  const htmlType = score([HTML_V1_TYPE, "application/vnd.pypi.simple.latest+html"]) > 0 ? HTML_V1_TYPE : "text/html; charset=utf-8";
  return { json: json > 0 && json >= html, htmlType };
}

function metadataBytes(entry: StoreEntry): Buffer {
  return Buffer.from(entry.metadata, "utf8");
}

function fileUrl(entry: StoreEntry): string {
  return `../../files/${entry.sha256}/${encodeURIComponent(entry.filename)}`;
}

function send(
  res: ServerResponse,
  req: IncomingMessage,
  status: number,
  type: string,
  body: Buffer | string,
  extra: Record<string, string> = {},
): void {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(status, { "Content-Type": type, "Content-Length": String(bytes.length), ...extra });
  res.end(req.method === "HEAD" ? undefined : bytes);
}

function projectNames(store: Store): string[] {
  return [...new Set(store.list().map((e) => e.name))].sort();
}

function indexPage(store: Store, json: boolean, htmlType: string, req: IncomingMessage, res: ServerResponse): void {
  const names = projectNames(store);
  if (json) {
    const body = { meta: { "api-version": API_VERSION }, projects: names.map((name) => ({ name })) };
    return send(res, req, 200, JSON_TYPE, JSON.stringify(body));
  }
  const links = names.map((n) => `    <a href="${escapeHtml(n)}/">${escapeHtml(n)}</a><br/>`).join("\n");
  send(
    res,
    req,
    200,
    htmlType,
    `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="${API_VERSION}">\n    <title>Simple index</title>\n  </head>\n  <body>\n${links}\n  </body>\n</html>\n`,
  );
}

function projectPage(
  entries: StoreEntry[],
  name: string,
  json: boolean,
  htmlType: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (json) {
    const files = entries.map((e) => {
      const metaHash = { sha256: sha256Hex(metadataBytes(e)) };
      const file: Record<string, unknown> = {
        "core-metadata": metaHash,
        "dist-info-metadata": metaHash,
        filename: e.filename,
        hashes: { sha256: e.sha256 },
      };
      if (e.requiresPython) file["requires-python"] = e.requiresPython;
      file.size = e.size;
      file.url = fileUrl(e);
      file.yanked = false;
      return file;
    });
    const body = { files, meta: { "api-version": API_VERSION }, name, versions: sortVersions([...new Set(entries.map((e) => e.version))]) };
    return send(res, req, 200, JSON_TYPE, JSON.stringify(body));
  }
  const links = entries
    .map((e) => {
      const metaHash = `sha256=${sha256Hex(metadataBytes(e))}`;
      const rp = e.requiresPython ? ` data-requires-python="${escapeHtml(e.requiresPython)}"` : "";
      return `    <a href="${escapeHtml(fileUrl(e))}#sha256=${e.sha256}"${rp} data-dist-info-metadata="${metaHash}" data-core-metadata="${metaHash}">${escapeHtml(e.filename)}</a><br/>`;
    })
    .join("\n");
  send(
    res,
    req,
    200,
    htmlType,
    `<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="${API_VERSION}">\n    <title>Links for ${escapeHtml(name)}</title>\n  </head>\n  <body>\n    <h1>Links for ${escapeHtml(name)}</h1>\n${links}\n  </body>\n</html>\n`,
  );
}

async function serveFile(
  store: Store,
  verifier: FileVerifier,
  sha256: string,
  filename: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const metadata = filename.endsWith(".metadata");
  const wheelName = metadata ? filename.slice(0, -".metadata".length) : filename;
  const entry = store.get(sha256);
  if (!entry || entry.filename !== wheelName) return send(res, req, 404, "text/plain", "not found\n");
  if (metadata) return send(res, req, 200, "application/octet-stream", metadataBytes(entry));
  let info: Awaited<ReturnType<FileVerifier["check"]>>;
  try {
    info = await verifier.check(entry);
  } catch (error) {
    // Never serve bytes that fail their hash: the client would reject them anyway, but say why here.
    store.log.warn(error instanceof PystoreError ? error.message : String(error));
    return send(res, req, 500, "text/plain", `stored file for ${entry.filename} is corrupted; run pystore store verify --repair\n`);
  }
  await sendFile(entry, info, req, res, { ETag: `"${entry.sha256}"`, "Cache-Control": "max-age=31536000, immutable" });
}

/** Any control character in a decoded path: never a project or file name, and unsafe to echo in a header. */
const CONTROL = /[\u0000-\u001f\u007f]/;

function createStoreHandler(store: Store) {
  const verifier = new FileVerifier(new Semaphore(MAX_CONCURRENT_VERIFICATIONS));
  const fail = (req: IncomingMessage, res: ServerResponse, error: unknown) => {
    store.log.warn(`serve: ${(error as Error).message}`);
    if (!res.headersSent) send(res, req, 500, "text/plain", "internal error\n");
    else res.destroy();
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    try {
      if (req.method !== "GET" && req.method !== "HEAD")
        return send(res, req, 405, "text/plain", "method not allowed\n", { Allow: "GET, HEAD" });
      if ((req.url ?? "").length > MAX_URL_LENGTH) return send(res, req, 414, "text/plain", "URI too long\n");
      let segments: string[];
      try {
        // Routed by the URL's own segments, each decoded alone: an encoded slash or backslash is part of a
        // name (and no name has one), never a separator that moves the request somewhere else.
        segments = new URL(req.url ?? "/", "http://localhost").pathname.split("/").map(decodeURIComponent);
      } catch {
        return send(res, req, 400, "text/plain", "malformed URL\n");
      }
      if (segments.some((segment) => /[/\\]/.test(segment))) return send(res, req, 400, "text/plain", "encoded slash in URL\n");
      const path = segments.join("/");
      if (CONTROL.test(path)) return send(res, req, 400, "text/plain", "control character in URL\n");
      const { json, htmlType } = wantsJson(req);
      if (path === "/" || path === "/simple") return send(res, req, 301, "text/plain", "", { Location: "/simple/" });
      if (path === "/simple/") return indexPage(store, json, htmlType, req, res);
      const project = /^\/simple\/([^/]+)(\/?)$/.exec(path);
      if (project) {
        // A name no project can have is not redirected: the Location would be built from hostile bytes.
        if (!isValidProjectName(project[1])) return send(res, req, 404, "text/plain", "not found\n");
        const canonical = canonicalizeName(project[1]);
        // PEP 503: redirect non-normalized names (and a missing slash) to the canonical URL.
        if (canonical !== project[1] || project[2] !== "/")
          return send(res, req, 301, "text/plain", "", { Location: `/simple/${canonical}/` });
        const entries = store.find(canonical).filter((e) => e.name === canonical);
        if (entries.length === 0) return send(res, req, 404, "text/plain", `no project ${canonical} in this store\n`);
        return projectPage(entries, canonical, json, htmlType, req, res);
      }
      const file = /^\/files\/([0-9a-f]{64})\/([^/]+)$/.exec(path);
      if (file) {
        serveFile(store, verifier, file[1], file[2], req, res).catch((error) => fail(req, res, error));
        return;
      }
      send(res, req, 404, "text/plain", "not found\n");
    } catch (error) {
      fail(req, res, error);
    }
  };
}

/**
 * A request Node's parser refused, answered as Node would (400, 408, 431) except that a request line
 * too long to parse is 414 URI Too Long: an overflow before the first line's end is the URL's.
 */
function answerClientError(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  let status = "400 Bad Request";
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") status = "408 Request Timeout";
  else if (error.code === "HPE_HEADER_OVERFLOW") {
    const packet = error.rawPacket;
    const lineEnd = packet?.indexOf("\r\n") ?? -1;
    status = packet === undefined || lineEnd < 0 || lineEnd > MAX_URL_LENGTH ? "414 URI Too Long" : "431 Request Header Fields Too Large";
  }
  socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
}

export async function serveStore(store: Store, opts: ServeOptions = {}): Promise<RunningServer> {
  const host = opts.host ?? "127.0.0.1";
  const server = createServer(createStoreHandler(store));
  server.on("clientError", answerClientError);
  // A client that stops reading for this long is dropped, so stalled downloads cannot pile up.
  server.timeout = IDLE_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(new PystoreError("NETWORK", `cannot listen on ${host}:${opts.port ?? 0}: ${(error as Error).message}`, { cause: error })),
    );
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" || host.includes(":") ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/simple/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
