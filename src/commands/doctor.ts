// `pystore doctor [--json]`: is this machine ready? The configuration, the store (format, size, temp debris,
// free space), the Python interpreters on PATH, proxy/CA/netrc, and whether each index answers. Every
// problem comes with a hint; errors exit 1 (DOCTOR_FAILED), warnings alone exit 0.

import { accessSync, constants, existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import type { Handler } from "./context.js";
import { homeDir, loadSources, userConfigPath } from "../config/load.js";
import { resolveSetting, type Sources } from "../config/resolve.js";
import { PystoreError } from "../errors.js";
import { STORE_FORMAT_VERSION } from "../format-versions.js";
import { CredentialStore } from "../index-client/auth.js";
import { HttpTransport } from "../index-client/http.js";
import { parseNetrc } from "../index-client/netrc.js";
import { normalizeProxyUrl } from "../index-client/proxy.js";
import { loadTarget } from "../platform/target-loader.js";
import { openDb } from "../store/db.js";
import { dbPath, tmpDir } from "../store/layout.js";
import { redactText, redactUrl } from "../util/redact.js";
import { sortKeysDeep } from "../util/stable-json.js";
import { storeSettings, transportSettings } from "./settings.js";
import { humanSize } from "./store-common.js";

interface DoctorOptions {
  project?: string;
  timeout?: string;
  json?: boolean;
}

interface Problem {
  severity: "error" | "warning";
  check: string;
  message: string;
  hint: string;
}

/** Below this much free space a fetch or bundle will likely fail part-way. */
const LOW_SPACE = 1024 ** 3;
const NO_SPACE = 64 * 1024 ** 2;

class Report {
  readonly problems: Problem[] = [];
  readonly lines: string[] = [];
  error(check: string, message: string, hint: string) {
    this.problems.push({ severity: "error", check, message: redactText(message), hint });
  }
  warn(check: string, message: string, hint: string) {
    this.problems.push({ severity: "warning", check, message: redactText(message), hint });
  }
  line(label: string, text: string) {
    this.lines.push(`${label.padEnd(12)}${redactText(text)}`);
  }
}

function configCheck(report: Report, ctx: Parameters<Handler<DoctorOptions>>[2], projectDir: string): Sources | undefined {
  try {
    const sources = loadSources({ env: ctx.env, projectDir });
    const user = sources.user ? `${sources.user.file}` : `${userConfigPath(ctx.env)} (not found)`;
    report.line("config", `user ${user}; project ${sources.project.map((l) => l.file).join(", ") || "(none)"}`);
    return sources;
  } catch (error) {
    const e = error as PystoreError;
    report.line("config", `broken: ${e.message}`);
    report.error("config", e.message, e.hint ?? "fix the file named above (docs/configuration.md)");
    return undefined;
  }
}

async function storeCheck(report: Report, storeDir: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { dir: storeDir, exists: existsSync(storeDir) };
  if (!out.exists) {
    report.line("store", `${storeDir} (not created yet)`);
    report.warn("store", `the store ${storeDir} does not exist yet`, "the first `pystore fetch` or `pystore store add` creates it");
  } else {
    try {
      accessSync(storeDir, constants.W_OK);
    } catch {
      report.error("store", `the store ${storeDir} is not writable`, "point --store, $PYSTORE_STORE or store-dir at a writable directory");
    }
    const db = dbPath(storeDir);
    if (existsSync(db) && statSync(db).size > 0) {
      try {
        const handle = openDb(db, { readonly: true });
        try {
          const row = handle.prepare("SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM entries").get() as {
            n: number;
            bytes: number;
          };
          Object.assign(out, { format: STORE_FORMAT_VERSION, entries: row.n, bytes: row.bytes });
        } finally {
          handle.close();
        }
      } catch (error) {
        const e = error as PystoreError;
        report.error("store", e.message, e.hint ?? "run `pystore store verify`");
      }
    } else {
      Object.assign(out, { format: null, entries: 0, bytes: 0 });
    }
    let debris: string[] = [];
    try {
      debris = readdirSync(tmpDir(storeDir));
    } catch {
      /* no tmp/ yet */
    }
    out.tempDebris = debris.length;
    if (debris.length > 0)
      report.warn(
        "store",
        `${debris.length} temporary file(s) in ${tmpDir(storeDir)}`,
        "left by interrupted writers; the next `pystore fetch` or `store gc` removes stale ones",
      );
    const held =
      out.entries === undefined
        ? "unreadable"
        : `format ${out.format ?? STORE_FORMAT_VERSION}, ${out.entries} wheel(s) (${humanSize(Number(out.bytes ?? 0))})`;
    report.line("store", `${storeDir}: ${held}, ${debris.length} temp file(s), last verify: not recorded`);
  }
  out.lastVerify = null;
  // Free space of the filesystem the store is (or will be) on.
  let probe = storeDir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  try {
    const fs = await statfs(probe);
    const free = Number(fs.bavail) * Number(fs.bsize);
    const total = Number(fs.blocks) * Number(fs.bsize);
    Object.assign(out, { freeBytes: free, totalBytes: total });
    report.line("disk", `${humanSize(free)} free of ${humanSize(total)} (${probe})`);
    if (free < NO_SPACE)
      report.error("disk", `only ${humanSize(free)} free on ${probe}`, "free space or move the store (store-dir) to a larger filesystem");
    else if (free < LOW_SPACE)
      report.warn("disk", `only ${humanSize(free)} free on ${probe}`, "large wheels and bundles may not fit; free space or move the store");
  } catch (error) {
    report.warn("disk", `cannot tell the free space of ${probe}: ${(error as Error).message}`, "check the filesystem with df");
  }
  return out;
}

/** python3 and python3.X on PATH (and PYSTORE_PYTHON), each once by real path. */
function interpretersOnPath(env: NodeJS.ProcessEnv): string[] {
  const found = new Map<string, string>();
  const add = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      const real = realpathSync(path);
      if (!found.has(real) && statSync(real).isFile()) found.set(real, path);
    } catch {
      /* not an executable */
    }
  };
  if (env.PYSTORE_PYTHON && isAbsolute(env.PYSTORE_PYTHON)) add(env.PYSTORE_PYTHON);
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    const minor = (n: string) => Number(n.slice("python3.".length) || -1);
    for (const name of names.filter((n) => /^python3(\.\d+)?$/.test(n)).sort((a, b) => minor(a) - minor(b))) add(join(dir, name));
  }
  return [...found.values()];
}

async function pythonCheck(report: Report, env: NodeJS.ProcessEnv): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const path of interpretersOnPath(env)) {
    try {
      const target = await loadTarget("host", undefined, { env: { ...env, PYSTORE_PYTHON: path } });
      out.push({ path, python: target.python, target: target.id, bestTag: target.tags[0], tags: target.tags.length });
      report.line("python", `${path}: ${target.python}, ${target.id}, best tag ${target.tags[0]} (${target.tags.length} tags)`);
    } catch (error) {
      // A shim's or a broken interpreter's complaint can run to pages: its first line says enough.
      const why = (error as Error).message.split("\n")[0];
      out.push({ path, error: why });
      report.line("python", `${path}: cannot be probed`);
      report.warn("python", `${path} could not be probed: ${why}`, "set PYSTORE_PYTHON to a working CPython 3");
    }
  }
  if (out.length === 0) {
    report.line("python", "(none on PATH)");
    report.warn(
      "python",
      "no python3 on PATH",
      "install python3 to lock for `host` and to run bundles here; named targets (--platform, --python) work without it",
    );
  }
  return out;
}

function networkCheck(report: Report, env: NodeJS.ProcessEnv, transport: { proxy?: string; cert?: string }) {
  const out: Record<string, unknown> = {};
  const proxyVars = ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"].filter((n) => env[n]?.trim());
  const proxies = [
    ...(transport.proxy ? [{ source: "user file", value: transport.proxy }] : []),
    ...proxyVars.map((n) => ({ source: n, value: env[n]?.trim() ?? "" })),
  ];
  out.proxies = proxies.map((p) => ({ source: p.source, url: redactUrl(p.value) }));
  out.noProxy = env.no_proxy ?? env.NO_PROXY ?? null;
  report.line("proxy", proxies.length ? proxies.map((p) => `${redactUrl(p.value)} (${p.source})`).join(", ") : "none (direct connections)");
  for (const p of proxies) {
    try {
      normalizeProxyUrl(p.value);
    } catch (error) {
      report.error("proxy", `${p.source}: ${(error as Error).message}`, "write it as http://[user:password@]host:port");
    }
  }
  const cert = transport.cert ?? (env.SSL_CERT_FILE?.trim() || undefined);
  out.cert = cert ?? null;
  report.line(
    "ca",
    cert ? `${cert} (${transport.cert ? "user file" : "SSL_CERT_FILE"}) plus the system roots` : "the system and Node's roots",
  );
  if (cert) {
    let pem = "";
    try {
      pem = readFileSync(cert, "utf8");
    } catch (error) {
      report.error("ca", `cannot read the CA file ${cert}: ${(error as Error).message}`, "fix SSL_CERT_FILE or cert, or remove it");
    }
    if (pem && !pem.includes("-----BEGIN CERTIFICATE-----"))
      report.error("ca", `${cert} holds no PEM certificate`, "point it at a PEM bundle");
  }
  const named = env.NETRC?.trim();
  const netrc = named || join(homeDir(env), ".netrc");
  const netrcOut: Record<string, unknown> = { path: netrc, exists: existsSync(netrc), machines: [] };
  out.netrc = netrcOut;
  if (!netrcOut.exists) {
    report.line("netrc", `${netrc} (not found)`);
    if (named) report.warn("netrc", `NETRC names ${netrc}, which does not exist`, "fix or unset NETRC");
  } else {
    try {
      const parsed = parseNetrc(readFileSync(netrc, "utf8"), netrc);
      // Host names only: logins and passwords never leave the file.
      netrcOut.machines = parsed.entries.map((e) => e.machine ?? "default");
      report.line("netrc", `${netrc}: ${(netrcOut.machines as string[]).join(", ") || "no machines"}`);
      if ((statSync(netrc).mode & 0o077) !== 0) report.warn("netrc", `${netrc} is readable by other users`, `chmod 600 ${netrc}`);
    } catch (error) {
      const e = error as PystoreError;
      report.line("netrc", `${netrc}: unreadable`);
      report.error("netrc", e.message, e.hint ?? "fix the file's syntax");
    }
  }
  return out;
}

/** The indexes and find-links the configuration names (below any flags: doctor takes none). */
function configuredSources(sources: Sources | undefined, projectDir: string): { indexes: string[]; findLinks: string[]; offline: boolean } {
  if (!sources) return { indexes: [], findLinks: [], offline: false };
  const value = (key: string) => resolveSetting(key, sources).value;
  const pins = Object.values((value("index-pins") as Record<string, string>) ?? {});
  const noIndex = value("no-index") === true;
  const indexes = noIndex ? [] : [value("index-url") as string, ...(value("extra-index-urls") as string[]), ...pins];
  return {
    indexes: [...new Set(indexes)],
    findLinks: (value("find-links") as string[]).map((p) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(p) ? p : resolve(projectDir, p))),
    offline: value("offline") === true,
  };
}

// dump() reads at most undici's small default limit and then closes the connection: a big root page (PyPI's
// is megabytes) is never downloaded.
const discard = (res: { body: { dump(): Promise<void> } }) => res.body.dump().catch(() => {});

async function reach(http: HttpTransport, url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  let res = await http.requestOnce(url, { method: "HEAD" });
  if (res.status === 405 || res.status === 501) {
    await discard(res);
    // Some servers refuse HEAD; a GET's status line is as good an answer.
    res = await http.requestOnce(url, { method: "GET" });
  }
  const ms = Math.round(performance.now() - started);
  await discard(res);
  return { status: res.status, ms };
}

async function indexCheck(report: Report, where: ReturnType<typeof configuredSources>, http: (url: string) => [HttpTransport, string]) {
  const out: Record<string, unknown>[] = [];
  for (const raw of [...where.indexes, ...where.findLinks]) {
    const shown = redactUrl(raw);
    const label = where.findLinks.includes(raw) ? "find-links" : "index";
    if (!/^https?:\/\//i.test(raw)) {
      const path = raw.startsWith("file:") ? new URL(raw).pathname : raw;
      const ok = existsSync(path);
      out.push({ url: shown, kind: "directory", reachable: ok });
      report.line(label, `${shown}: ${ok ? "directory present" : "missing"}`);
      if (!ok) report.error(label, `${label} ${shown} does not exist`, "fix the path in the configuration, or create it");
      continue;
    }
    if (where.offline) {
      out.push({ url: shown, kind: "http", reachable: null });
      report.line(label, `${shown}: not checked (offline)`);
      continue;
    }
    try {
      const { status, ms } = await reach(...http(raw));
      out.push({ url: shown, kind: "http", reachable: true, status, ms });
      report.line(label, `${shown}: HTTP ${status} in ${ms} ms`);
      if (status === 401 || status === 403)
        report.error(
          label,
          `${shown} answered ${status}`,
          "give credentials: https://USER:PASSWORD@host/… in the URL, or ~/.netrc ($NETRC)",
        );
      else if (status >= 500)
        report.error(label, `${shown} answered ${status}`, "the server is failing; try again later or use another index");
      else if (status >= 400)
        report.warn(label, `${shown} answered ${status} at its root`, "check the URL: a simple index root usually ends in /simple/");
    } catch (error) {
      const e = error as PystoreError;
      out.push({ url: shown, kind: "http", reachable: false, error: redactText(e.message) });
      report.line(label, `${shown}: unreachable (${e.message})`);
      report.error(
        label,
        `${shown} is unreachable: ${e.message}`,
        e.hint ?? "check the URL, the proxy settings and the network; or work with --offline",
      );
    }
  }
  return out;
}

const handler: Handler<DoctorOptions> = async (_args, options, ctx) => {
  const report = new Report();
  const projectDir = resolve(ctx.cwd, options.project ?? ".");
  const timeoutS = Number(options.timeout ?? "5");
  if (!Number.isFinite(timeoutS) || timeoutS <= 0)
    throw new PystoreError("USAGE", `--timeout ${JSON.stringify(options.timeout)} is not a positive number of seconds`);
  const sources = configCheck(report, ctx, projectDir);
  let storeDir: string | undefined;
  try {
    storeDir = storeSettings(ctx).dir;
  } catch {
    /* reported by the configuration check */
  }
  const store = storeDir ? await storeCheck(report, storeDir) : null;
  const interpreters = await pythonCheck(report, ctx.env);
  let transport: { proxy?: string; cert?: string } = {};
  try {
    transport = transportSettings({}, ctx.env, { cwd: ctx.cwd, project: options.project });
  } catch {
    /* reported by the configuration check */
  }
  const network = networkCheck(report, ctx.env, transport);
  const credentials = new CredentialStore(ctx.env, ctx.log);
  let client: HttpTransport | undefined;
  // Credentials in an index URL go into the store (sent only to that host), never into the request line or output.
  const http = (url: string): [HttpTransport, string] => {
    client ??= new HttpTransport({
      ...transport,
      env: ctx.env,
      credentials,
      connectTimeoutMs: timeoutS * 1000,
      readTimeoutMs: timeoutS * 1000,
      retries: 0,
    });
    return [client, credentials.register(url)];
  };
  let indexes: Record<string, unknown>[];
  try {
    indexes = await indexCheck(report, configuredSources(sources, projectDir), http);
  } finally {
    await client?.close();
  }
  const errors = report.problems.filter((p) => p.severity === "error");
  if (options.json) {
    ctx.out(
      JSON.stringify(sortKeysDeep({ ok: errors.length === 0, store, interpreters, network, indexes, problems: report.problems }), null, 2),
    );
  } else {
    const problems = report.problems.flatMap((p) => [`${p.severity}: [${p.check}] ${p.message}`, `  hint: ${p.hint}`]);
    ctx.out([...report.lines, "", ...(problems.length ? problems : ["no problems found"])].join("\n"));
  }
  if (errors.length > 0) {
    throw new PystoreError("DOCTOR_FAILED", `doctor found ${errors.length} problem(s) that will make commands fail`, {
      hint: "see the hints above",
      details: { errors: errors.length, warnings: report.problems.length - errors.length },
    });
  }
  return 0;
};

export default handler;
