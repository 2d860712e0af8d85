// `pystore doctor` through the built CLI: a loopback index that answers, one on a closed port, a store with
// temp debris, and a canary credential that must not appear in any output.

import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IndexServer, startIndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { runCli } from "../helpers/cli.js";
import { type TempDir, tempDir } from "../helpers/temp.js";

const CANARY = "CANARY-doc-51c9";
let work: TempDir;
let server: IndexServer;
let deadPort: number;
let xdg: string;

beforeAll(async () => {
  work = await tempDir("doctor");
  const wheel = await buildWheel({ name: "healthy", version: "1.0" }, join(work.path, "wheels"));
  server = await startIndexServer({ wheels: [wheel], auth: { username: "alice", password: CANARY } });
  // A port that was just free: connecting to it is refused.
  deadPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  xdg = join(work.path, "xdg");
  await mkdir(join(xdg, "pystore"), { recursive: true });
  await mkdir(join(work.path, "home"), { recursive: true });
  await writeFile(join(work.path, "home", ".netrc"), `machine nexus.test login bob password ${CANARY}\n`, { mode: 0o600 });
});

afterAll(async () => {
  await server?.close();
  await work?.cleanup();
});

const withCanary = () => server.url.replace("http://", `http://alice:${CANARY}@`);

async function doctor(config: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  await writeFile(join(xdg, "pystore", "config.toml"), config);
  const r = await runCli(["doctor", ...args], {
    cwd: work.path,
    inheritEnv: false,
    env: { PATH: "/usr/bin:/bin", HOME: join(work.path, "home"), XDG_CONFIG_HOME: xdg, NO_COLOR: "1", ...env },
    timeoutMs: 60_000,
  });
  if (process.env.DEBUG_DOCTOR) console.log(r);
  expect(`${r.stdout}${r.stderr}`).not.toContain(CANARY);
  return r;
}

describe("pystore doctor", () => {
  it("a reachable index (credentials from the URL) and no errors: exit 0, warnings allowed", async () => {
    const store = join(work.path, "store-ok");
    const r = await doctor(`index-url = "${withCanary()}"\nstore-dir = "${store}"\n`, ["--json"]);
    expect(r.code).toBe(EXIT.ok);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(true);
    expect(report.indexes).toEqual([
      { url: server.url.replace("http://", "http://****@"), kind: "http", reachable: true, status: 200, ms: expect.any(Number) },
    ]);
    expect(report.store).toMatchObject({ dir: store, exists: false });
    expect(report.store.freeBytes).toBeGreaterThan(0);
    expect(report.network.netrc).toEqual({ path: join(work.path, "home", ".netrc"), exists: true, machines: ["nexus.test"] });
    expect(report.problems).toContainEqual(expect.objectContaining({ severity: "warning", check: "store" }));
    expect(report.problems.filter((p: { severity: string }) => p.severity === "error")).toEqual([]);
  });

  it("an unreachable index is an error with a hint: exit 1 (DOCTOR_FAILED), the report kept beside the error", async () => {
    const dead = `http://127.0.0.1:${deadPort}/simple/`;
    const r = await doctor(`index-url = "${withCanary()}"\nextra-index-urls = ["${dead}"]\n`, ["--json", "--timeout", "2"]);
    expect(r.code).toBe(EXIT.checkFailed);
    const report = JSON.parse(r.stdout);
    expect(report.error.code).toBe("DOCTOR_FAILED");
    expect(report.ok).toBe(false);
    expect(report.indexes[1]).toMatchObject({ url: dead, reachable: false });
    const problem = report.problems.find((p: { check: string; severity: string }) => p.severity === "error");
    expect(problem.message).toContain(`127.0.0.1:${deadPort}`);
    expect(problem.hint).toBeTruthy();
    expect(r.stderr).toContain("error: doctor found 1 problem(s)");
  });

  it("reports the store's entries and temp debris, and interpreters with their tags, as text", async () => {
    const store = join(work.path, "store-used");
    const wheel = await buildWheel({ name: "stored", version: "2.0" }, join(work.path, "to-add"));
    const add = await runCli(["--store", store, "store", "add", wheel.path], { cwd: work.path });
    expect(add.code).toBe(0);
    await writeFile(join(store, "tmp", ".tmp-left.1.abcdef012345"), "x");
    const r = await doctor(`store-dir = "${store}"\nindex-url = "${withCanary()}"\n`);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toMatch(new RegExp(`^store\\s+${store}: format 1, 1 wheel\\(s\\) \\([^)]+\\), 1 temp file\\(s\\)`, "m"));
    expect(r.stdout).toMatch(/^warning: \[store\] 1 temporary file\(s\) in /m);
    expect(r.stdout).toMatch(/^python\s+\/usr\/bin\/python3: 3\.\d+, \S+, best tag cp3\d+-cp3\d+-\S+ \(\d+ tags\)$/m);
    expect(r.stdout).toMatch(/^index\s+http:\/\/\*\*\*\*@127\.0\.0\.1:\d+\/simple\/: HTTP 200 in \d+ ms$/m);
  });

  it("a broken configuration is an error, not a crash", async () => {
    const r = await doctor("retries = -1\n", ["--json"]);
    expect(r.code).toBe(EXIT.checkFailed);
    const report = JSON.parse(r.stdout);
    expect(report.problems[0]).toMatchObject({
      severity: "error",
      check: "config",
      message: expect.stringContaining("retries must be an integer >= 0"),
    });
  });
});
