// Canary credentials everywhere pystore can take one: in the index URL, in .netrc (for a second index) and
// in the proxy URL. lock, fetch, bundle (dir, tar.gz, pyz), export requirements and store export run
// with -v, PYSTORE_DEBUG=1 and --json, successes and failures; then every byte printed and every file
// written (the lock, the store's SQLite file and HTTP cache, bundles unpacked, archives) is searched
// for each canary, in plain text, URL-encoded and inside a Basic Authorization value.

import { spawnSync } from "node:child_process";
import { createServer, request as httpRequest, type Server } from "node:http";
import { readdir, readFile, writeFile } from "node:fs/promises";
import type { Socket } from "node:net";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { type TempDir, tempDir } from "../helpers/temp.js";

const URL_USER = "url-user";
const URL_CANARY = "canary-URL-9c41e7";
const NETRC_USER = "netrc-user";
const NETRC_CANARY = "canary-NETRC-5b2d80";
const PROXY_USER = "proxy-user";
const PROXY_CANARY = "canary-PROXY-3fa6d1";
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

/** Every form a secret could leak in: as is, URL-encoded, and inside `Basic base64(user:password)`. */
const NEEDLES: [string, string][] = [
  [URL_CANARY, "index URL password"],
  [NETRC_CANARY, ".netrc password"],
  [PROXY_CANARY, "proxy password"],
  ...[
    [URL_USER, URL_CANARY],
    [NETRC_USER, NETRC_CANARY],
    [PROXY_USER, PROXY_CANARY],
  ].map(([u, p]): [string, string] => [Buffer.from(`${u}:${p}`).toString("base64"), `Basic credentials of ${u}`]),
];

let work: TempDir;
let primary: IndexServer;
let secondary: IndexServer;
let proxy: { url: string; hits: number; close: () => Promise<void> };
let env: NodeJS.ProcessEnv;
let authedIndex: string;
const printed: { args: string[]; result: CliResult }[] = [];

/** A forward proxy for plain HTTP that demands Basic credentials, as a corporate proxy does. */
async function authenticatingProxy(user: string, password: string) {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  const sockets = new Set<Socket>();
  const state = { hits: 0 };
  const server: Server = createServer((req, res) => {
    state.hits++;
    if (req.headers["proxy-authorization"] !== expected) {
      res.writeHead(407, { "proxy-authenticate": 'Basic realm="proxy"' });
      res.end();
      return;
    }
    const target = new URL(req.url ?? "/");
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${user}:${password}@127.0.0.1:${port}`,
    get hits() {
      return state.hits;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const result = await runCli(args, {
    cwd: join(work.path, "project"),
    env: { ...env, ...extraEnv },
    inheritEnv: false,
    timeoutMs: 90_000,
  });
  printed.push({ args, result });
  expect(result.stderr).not.toContain("internal error");
  return result;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The bytes to search in a file: archives are opened, so a compressed secret is found too. */
function searchable(path: string, bytes: Buffer): Buffer[] {
  if (path.endsWith(".gz")) return [bytes, gunzipSync(bytes)];
  if (path.endsWith(".pyz") || path.endsWith(".whl") || path.endsWith(".zip")) {
    const dump = spawnSync("python3", [
      "-c",
      "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor n in z.namelist(): sys.stdout.buffer.write(n.encode() + b'\\n' + z.read(n))",
      path,
    ]);
    expect(dump.status, String(dump.stderr)).toBe(0);
    return [bytes, dump.stdout];
  }
  return [bytes];
}

function leaks(where: string, bytes: Buffer): string[] {
  const found: string[] = [];
  for (const [needle, what] of NEEDLES) {
    for (const form of new Set([needle, encodeURIComponent(needle)])) {
      if (bytes.includes(Buffer.from(form))) found.push(`${what} in ${where}`);
    }
  }
  return found;
}

beforeAll(async () => {
  work = await tempDir("secrets-canary");
  const wheels = join(work.path, "wheels");
  const app = await buildWheel(
    {
      name: "secret-app",
      version: "1.0",
      requiresDist: ["secret-lib"],
      entryPoints: { console_scripts: { "secret-app": "secret_app:main" } },
    },
    wheels,
  );
  const lib = await buildWheel({ name: "secret-lib", version: "2.0" }, wheels);
  primary = await startIndexServer({ wheels: [app], auth: { username: URL_USER, password: URL_CANARY }, absoluteUrls: true });
  secondary = await startIndexServer({ wheels: [lib], auth: { username: NETRC_USER, password: NETRC_CANARY }, absoluteUrls: true });
  proxy = await authenticatingProxy(PROXY_USER, PROXY_CANARY);
  // .netrc holds only the second index's credentials: the primary's come from its URL.
  const home = join(work.path, "home");
  await import("node:fs/promises").then((fs) => fs.mkdir(home));
  await writeFile(join(home, ".netrc"), `machine 127.0.0.1 login ${NETRC_USER} password ${NETRC_CANARY}\n`, { mode: 0o600 });
  await import("node:fs/promises").then((fs) => fs.mkdir(join(work.path, "project")));
  authedIndex = primary.url.replace("://", `://${URL_USER}:${URL_CANARY}@`);
  env = {
    PATH: process.env.PATH,
    HOME: home,
    NO_COLOR: "1",
    XDG_CACHE_HOME: join(work.path, "cache"),
    XDG_DATA_HOME: join(work.path, "data"),
    PYSTORE_STORE: join(work.path, "store"),
    PYSTORE_RETRIES: "0",
    http_proxy: proxy.url,
    NO_PROXY: "",
    no_proxy: "",
  };
}, 120_000);

afterAll(async () => {
  await Promise.all([primary?.close(), secondary?.close(), proxy?.close()]);
  await work?.cleanup();
});

describe("canary credentials", () => {
  it("lock, fetch, bundle (3 formats), export: every byte printed and every file written is free of them", async () => {
    const out = (name: string) => join(work.path, "out", name);
    const lockFlags = [...TARGET, "--index-url", authedIndex, "--extra-index-url", secondary.url];
    const ok: string[][] = [
      ["-v", "lock", "secret-app", ...lockFlags],
      ["lock", "secret-app", ...lockFlags, "--json", "--check"],
      ["-v", "fetch", "--index-url", authedIndex, "--json"],
      ["-v", "bundle", "-o", out("app-dir"), ...TARGET, "--index-url", authedIndex],
      ["bundle", "-o", out("app.tar.gz"), ...TARGET, "--json"],
      ["-v", "bundle", "-o", out("app.pyz"), ...TARGET],
      ["export", "requirements", ...TARGET, "-o", out("requirements.txt")],
      ["-v", "store", "export", "-l", "pylock.toml", "-o", out("closure.tar"), "--json"],
      ["-v", "index", "show", "secret-lib", "--index-url", authedIndex, "--extra-index-url", secondary.url, "--json"],
    ];
    for (const args of ok) {
      const r = await cli(args, { PYSTORE_DEBUG: "1" });
      expect(r.code, `${args.join(" ")}\n${r.stderr}`).toBe(0);
    }
    // The credentials did their work: both indexes and the proxy were used with them.
    expect(proxy.hits).toBeGreaterThan(0);
    expect(primary.requests.some((q) => q.path.startsWith("/simple/secret-app"))).toBe(true);
    expect(secondary.requests.some((q) => q.path.startsWith("/simple/secret-lib"))).toBe(true);

    // Failures print URLs too: a missing project, wrong URL credentials, a proxy refusing the wrong ones.
    const wrongPassword = primary.url.replace("://", `://${URL_USER}:${URL_CANARY}-wrong@`);
    const failing: [string[], NodeJS.ProcessEnv, number][] = [
      [["-v", "lock", "no-such-project", ...lockFlags, "-o", out("never.toml"), "--json"], {}, EXIT.resolution],
      [["-v", "lock", "secret-app", ...TARGET, "--index-url", wrongPassword, "-o", out("never.toml"), "--json"], {}, EXIT.network],
      [
        ["-v", "lock", "secret-app", ...lockFlags, "-o", out("never.toml"), "--json"],
        { http_proxy: proxy.url.replace(PROXY_CANARY, `${PROXY_CANARY}-wrong`) },
        EXIT.network,
      ],
      [
        ["-v", "fetch", "--index-url", `${wrongPassword}?token=${URL_CANARY}`, "--json"],
        { PYSTORE_STORE: join(work.path, "store-empty") },
        EXIT.network,
      ],
    ];
    for (const [args, extra, code] of failing) {
      const r = await cli(args, { PYSTORE_DEBUG: "1", ...extra });
      expect(r.code, `${args.join(" ")}\n${r.stderr}`).toBe(code);
      expect(JSON.parse(r.stdout).error.code).toMatch(/^[A-Z_]+$/);
    }

    const found: string[] = [];
    for (const { args, result } of printed) {
      found.push(
        ...leaks(`stdout of ${args.join(" ")}`, Buffer.from(result.stdout)),
        ...leaks(`stderr of ${args.join(" ")}`, Buffer.from(result.stderr)),
      );
    }
    const files = await filesUnder(work.path);
    const written = files.filter((f) => !f.startsWith(join(work.path, "home")) && !f.startsWith(join(work.path, "wheels")));
    // What is searched: the lock, the store's database and HTTP cache, logs, the three bundles and the archives.
    expect(written.some((f) => f.endsWith("pylock.toml"))).toBe(true);
    expect(written.some((f) => f.endsWith(".db"))).toBe(true);
    expect(written.some((f) => f.endsWith("app.tar.gz"))).toBe(true);
    expect(written.some((f) => f.endsWith("app.pyz"))).toBe(true);
    expect(written.some((f) => f.includes(`${join("out", "app-dir")}/`))).toBe(true);
    expect(written.some((f) => f.endsWith("closure.tar"))).toBe(true);
    for (const file of written) {
      const bytes = await readFile(file);
      for (const part of searchable(file, bytes)) found.push(...leaks(file.slice(work.path.length + 1), part));
    }
    expect([...new Set(found)]).toEqual([]);
  }, 240_000);
});
