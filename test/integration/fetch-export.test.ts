// `pystore fetch` into a store and `pystore export requirements` installed by the machine's real pip
// with --require-hashes --no-deps, both from a lock made by the CLI against the fixture index.

import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel, type WheelSpec } from "../../fixtures/wheels.js";
import { PYSTORE_BIN, runCli } from "../helpers/cli.js";

const pipAvailable = spawnSync("python3", ["-m", "pip", "--version"]).status === 0;

const SPECS: WheelSpec[] = [
  { name: "Top.Pkg", version: "1.2", requiresDist: ["leaf-lib>=1", 'winlib; sys_platform == "win32"'] },
  { name: "leaf_lib", version: "1.0" },
  { name: "leaf_lib", version: "1.1" },
  { name: "winlib", version: "0.5", tags: "py3-none-win_amd64" },
];

function runPython(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", args, { env: { ...process.env, PIP_CONFIG_FILE: "/dev/null" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

let work: string;
let server: IndexServer;
let lockPath: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-fetch-"));
  const wheels = await Promise.all(SPECS.map((s) => buildWheel(s, join(work, "wheels"))));
  server = await startIndexServer({ wheels });
  env = { PYSTORE_STORE: join(work, "store") };
  lockPath = join(work, "pylock.toml");
  const lock = await runCli(
    [
      "lock",
      "top-pkg",
      "-o",
      lockPath,
      "--project",
      work,
      "--platform",
      "host",
      "--platform",
      "win_amd64",
      "--python",
      "3.11",
      "--index-url",
      server.url,
    ],
    { env },
  );
  expect(lock.stderr).not.toContain("internal error");
  expect(lock.code).toBe(0);
});

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("pystore fetch", () => {
  it("downloads every locked wheel, verified, and is a no-op the second time (even offline)", async () => {
    const first = await runCli(["fetch", "-l", lockPath, "--json"], { env });
    expect(first.stderr).not.toContain("internal error");
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout) as { wheels: { filename: string; sha256: string; path: string; downloaded: boolean }[] };
    expect(report.wheels.every((w) => w.downloaded)).toBe(true);
    expect(first.stderr).toContain("3 wheels: 3 downloaded, 0 already in the store");
    expect(report.wheels.map((w) => w.filename)).toEqual([
      "Top_Pkg-1.2-py3-none-any.whl",
      "leaf_lib-1.1-py3-none-any.whl",
      "winlib-0.5-py3-none-win_amd64.whl",
    ]);
    for (const w of report.wheels) expect(existsSync(w.path)).toBe(true);
    const lockText = await readFile(lockPath, "utf8");
    for (const w of report.wheels) expect(lockText).toContain(w.sha256);

    const downloadsBefore = server.requests.filter((r) => r.path.startsWith("/files/")).length;
    const again = await runCli(["fetch", "-l", lockPath, "--offline", "--json"], { env });
    expect(again.code).toBe(0);
    // Said as such, not listed as downloads.
    expect((JSON.parse(again.stdout) as { wheels: { downloaded: boolean }[] }).wheels.map((w) => w.downloaded)).toEqual([
      false,
      false,
      false,
    ]);
    expect(again.stderr).toContain("Top_Pkg-1.2-py3-none-any.whl (already stored)");
    expect(again.stderr).toContain("3 wheels: 0 downloaded, 3 already in the store");
    expect(server.requests.filter((r) => r.path.startsWith("/files/")).length).toBe(downloadsBefore);
  });

  it("draws one redrawn progress line on a terminal, and plain lines in a pipe", async () => {
    // `script` gives the command a pseudo-terminal, as an interactive shell would.
    const command = [process.execPath, PYSTORE_BIN, "fetch", "-l", lockPath].map((a) => `'${a}'`).join(" ");
    // Not spawnSync: the index server answering the downloads runs in this process.
    const tty = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
      const child = spawn("script", ["-qec", command, "/dev/null"], {
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, PYSTORE_STORE: join(work, "store-tty"), NO_COLOR: "1", COLUMNS: "120" },
      });
      let stdout = "";
      child.stdout.on("data", (d) => (stdout += String(d)));
      child.on("close", (status) => resolve({ status, stdout }));
    });
    expect(tty.status, tty.stdout).toBe(0);
    expect(tty.stdout).toContain("\r\u001b[2Kfetching ");
    expect(tty.stdout).toContain("3 wheels: 3 downloaded, 0 already in the store");
    expect(tty.stdout).not.toContain("[1/3]");
    const piped = await runCli(["fetch", "-l", lockPath], { env: { PYSTORE_STORE: join(work, "store-pipe") } });
    expect(piped.stderr, piped.stderr).toContain("[1/3] ");
    expect(piped.stderr).not.toContain("\u001b[2K");
  });

  it("fetches only one target's wheels with --platform/--python", async () => {
    const result = await runCli(["fetch", "-l", lockPath, "--platform", "manylinux_x86_64", "--python", "3.11", "--json"], {
      env: { PYSTORE_STORE: join(work, "store-linux") },
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { wheels: { filename: string }[] };
    expect(report.wheels.map((w) => w.filename)).toEqual(["Top_Pkg-1.2-py3-none-any.whl", "leaf_lib-1.1-py3-none-any.whl"]);
  });

  it("refuses bytes that differ from the lock's hash (exit 6) and stores nothing", async () => {
    const tampered = join(work, "tampered.toml");
    const text = await readFile(lockPath, "utf8");
    const sha = /hashes = \{sha256 = "([0-9a-f]{64})"\}/.exec(text)![1];
    await writeFile(tampered, text.replace(sha, "0".repeat(64)));
    const store = join(work, "store-tampered");
    const result = await runCli(["fetch", "-l", tampered], { env: { PYSTORE_STORE: store } });
    expect(result.code).toBe(6);
    expect(result.stderr).toContain("sha256");
  });
});

describe("pystore export requirements", () => {
  it("writes pins with hashes for one target", async () => {
    const result = await runCli(["export", "requirements", "-l", lockPath, "--platform", "win_amd64", "--python", "3.11"], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^top-pkg==1\.2 \\\n {4}--hash=sha256:[0-9a-f]{64}$/m);
    expect(result.stdout).toContain("winlib==0.5");
  });

  it.skipIf(!pipAvailable)("is accepted by pip install --require-hashes --no-deps (skipped when the machine has no pip)", async () => {
    const exported = join(work, "requirements.txt");
    const result = await runCli(["export", "requirements", "-l", lockPath, "-o", exported], { env });
    expect(result.code).toBe(0);
    const text = await readFile(exported, "utf8");
    expect(text).not.toContain("winlib");
    const target = join(work, "site");
    // Asynchronous on purpose: the fixture index runs in this process and must keep answering pip.
    const pip = await runPython([
      "-m",
      "pip",
      "install",
      "--require-hashes",
      "--no-deps",
      "--no-cache-dir",
      "--disable-pip-version-check",
      "--timeout",
      "30",
      "--retries",
      "1",
      "--index-url",
      server.url,
      "--target",
      target,
      "-r",
      exported,
    ]);
    expect(pip.output).not.toContain("ERROR");
    expect(pip.code).toBe(0);
    expect(existsSync(join(target, "top_pkg", "__init__.py"))).toBe(true);
    expect(await readFile(join(target, "leaf_lib", "__init__.py"), "utf8")).toContain('"1.1"');
  });
});
