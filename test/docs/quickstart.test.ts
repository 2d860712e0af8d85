// docs/quickstart.md, run as a reader would: its sh blocks in order, in one shell, with `pystore` on PATH
// and a local index standing in for PyPI. The waitress wheel here is a stand-in with waitress's serve()
// signature (built on wsgiref), since no real index is reachable; the page's steps are what is tested.

import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type IndexServer, startIndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { PYSTORE_BIN, REPO_ROOT } from "../helpers/cli.js";
import { shellBlocks } from "./shell-blocks.js";

const WAITRESS = `from wsgiref.simple_server import make_server


def serve(app, host="0.0.0.0", port=8080, **kw):
    make_server(host, int(port), app).serve_forever()
`;

let work: string;
let server: IndexServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-quickstart-"));
  const waitress = await buildWheel(
    { name: "waitress", version: "3.0.2", files: { "waitress/__init__.py": WAITRESS } },
    join(work, "wheels"),
  );
  server = await startIndexServer({ wheels: [waitress] });
  await mkdir(join(work, "bin"));
  await symlink(PYSTORE_BIN, join(work, "bin", "pystore"));
  env = {
    ...process.env,
    PATH: `${join(work, "bin")}:${process.env.PATH}`,
    PYSTORE_STORE: join(work, "store"),
    PYSTORE_INDEX_URL: server.url,
    SOURCE_DATE_EPOCH: "0",
    XDG_CACHE_HOME: join(work, "cache"),
    NO_COLOR: "1",
  };
});

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs a script as `sh -e` would (not spawnSync: the index answering it runs in this process). */
function sh(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", `set -eu\n${script}\n`], { cwd: work, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += String(d)));
    child.stderr.on("data", (d) => (stderr += String(d)));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

it("runs every step of docs/quickstart.md, and the bundle it makes serves the page", async () => {
  const blocks = shellBlocks(join(REPO_ROOT, "docs", "quickstart.md"));
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  // One shell, as a reader types them: `cd hello-web` in the first block holds for the rest.
  const result = await sh(blocks.join("\n"));
  expect(result.stderr).not.toContain("internal error");
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toContain("config ok: Hello from a pystore bundle");

  // Step 5 in miniature: the extracted bundle serves the page (on a free port, not as a unit).
  const port = await freePort();
  const app = spawn(join(work, "hello-web", "try", "hello-web", "bin", "hello-web"), [], {
    env: { PATH: "/usr/bin:/bin", HELLO_PORT: String(port), HOME: join(work, "home") },
  });
  try {
    let body = "";
    for (let i = 0; i < 100 && body === ""; i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.text(),
        () => new Promise<string>((r) => setTimeout(() => r(""), 100)),
      );
    }
    expect(body).toBe("Hello from a pystore bundle\n");
  } finally {
    app.kill("SIGTERM");
  }
  const unit = spawnSync("tar", ["-tzf", join(work, "hello-web", "dist", "hello-web.tar.gz")], { encoding: "utf8" });
  expect(unit.stdout).toContain("hello-web/systemd/hello-web.service");

  // The README's quick start is the same walk in short: its sh block, from the quickstart's directory.
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const quick = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("## Commands"));
  const [short] = shellBlocks(quick, { text: true });
  const again = await sh(short);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toContain("already in the store");
}, 180_000);
