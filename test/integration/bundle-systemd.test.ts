// `pystore bundle --systemd` units checked by the machine's systemd-analyze: `verify` against a root with
// the bundle installed at its prefix (so ExecStart= must exist and be executable), and `security --offline`
// for the exposure score every unit must stay under.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { GREETLIB, lockFor, writeTree, writeTwoExecutables } from "../../fixtures/projects.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { tempDir } from "../bundle/helpers.js";
import { runCli } from "../helpers/cli.js";

const SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze";
const MAX_EXPOSURE = 4.0;
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

let work: { path: string; cleanup: () => Promise<void> };
let server: IndexServer;
let greet: BuiltWheel;

beforeAll(async () => {
  work = await tempDir("bundle-systemd");
  greet = await buildWheel(GREETLIB, join(work.path, "wheels"));
  server = await startIndexServer({ wheels: [greet] });
});
afterAll(async () => {
  await server?.close();
  await work?.cleanup();
});

const cli = (args: string[]) => runCli(args, { cwd: work.path, env: { PYSTORE_STORE: join(work.path, "store"), SOURCE_DATE_EPOCH: "" } });

function analyze(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      SYSTEMD_ANALYZE,
      args,
      { timeout: 60_000, env: { ...process.env, SYSTEMD_COLORS: "0", SYSTEMD_PAGER: "" } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * The bundle at its prefix inside a fresh root, its units where an administrator would copy them, and
 * the one system binary the declared ExecReload= runs (verify checks every Exec*= command exists).
 */
async function installInRoot(bundle: string, prefix: string, label: string): Promise<{ root: string; units: string[] }> {
  const root = join(work.path, `root-${label}`);
  await cp(bundle, join(root, prefix), { recursive: true });
  await cp("/usr/bin/kill", join(root, "usr/bin/kill"));
  const unitDir = join(root, "etc/systemd/system");
  await mkdir(unitDir, { recursive: true });
  const units = (await readdir(join(bundle, "systemd"))).sort();
  for (const unit of units) await cp(join(bundle, "systemd", unit), join(unitDir, unit));
  return { root, units };
}

// --recursive-errors=no: the temp root has no sysinit.target and friends, and their absence says nothing
// about our units. Parse errors, unknown keys and a missing ExecStart= binary are still reported.
const verify = (root: string, unit: string) =>
  analyze(["verify", "--man=no", "--recursive-errors=no", `--root=${root}`, join(root, "etc/systemd/system", unit)]);

async function exposure(unitPath: string): Promise<number> {
  const result = await analyze(["security", "--offline=yes", "--no-pager", unitPath]);
  const match = /Overall exposure level for \S+: (\d+\.\d+)/.exec(result.stdout + result.stderr);
  if (!match) throw new Error(`no exposure level in systemd-analyze output:\n${result.stdout}${result.stderr}`);
  return Number(match[1]);
}

const SERVICES = `
[tool.pystore.services.thing-a]
description = "Thing A"
environment = { GREETING = 'hello "world" 100%', PORT = "8080" }
environment-file = "-/etc/things/env"
state-directory = "things"
read-write-paths = ["/srv/things"]
exec-reload = "/usr/bin/kill -HUP $MAINPID"

[tool.pystore.services.thing-c]
type = "oneshot"
`;

describe.skipIf(!existsSync(SYSTEMD_ANALYZE))(`units checked by ${SYSTEMD_ANALYZE}`, () => {
  it("a project with [tool.pystore.services]: units only for its services, valid, exposure ≤ 4.0", async () => {
    const { project } = await writeTwoExecutables(join(work.path, "declared"));
    await appendFile(join(project, "pyproject.toml"), SERVICES);
    await writeTree(project, { "pylock.toml": lockFor([{ wheel: greet, url: `${server.origin}/files/${greet.filename}` }]) });
    const out = join(work.path, "declared-bundle");
    const built = await cli(["bundle", "--project", project, ...TARGET, "-o", out, "--systemd", "--prefix", "/opt/things"]);
    expect(built.stderr).not.toContain("error");
    expect(built.code).toBe(0);

    const { root, units } = await installInRoot(out, "/opt/things", "declared");
    expect(units).toEqual(["things-thing-a.service", "things-thing-c.service"]);
    for (const unit of units) {
      expect(await verify(root, unit)).toEqual({ code: 0, stdout: "", stderr: "" });
      expect(await exposure(join(root, "etc/systemd/system", unit))).toBeLessThanOrEqual(MAX_EXPOSURE);
    }
    const a = await readFile(join(root, "etc/systemd/system/things-thing-a.service"), "utf8");
    expect(a).toContain("\nType=exec\nExecStart=/opt/things/bin/thing-a\nExecReload=/usr/bin/kill -HUP $MAINPID\n");
    expect(a).toContain('\nEnvironment="GREETING=hello \\"world\\" 100%%"\nEnvironment="PORT=8080"\nEnvironmentFile=-/etc/things/env\n');
    expect(a).toContain("\nDynamicUser=yes\n");
    expect(a).toContain("\nStateDirectory=things\nReadWritePaths=/srv/things\n");
    const c = await readFile(join(root, "etc/systemd/system/things-thing-c.service"), "utf8");
    expect(c).toContain("\nType=oneshot\n");
    expect(c).not.toContain("Restart");

    // The checks can fail: a mistyped setting, and ExecStart= pointing at a launcher that is not there.
    await writeFile(join(root, "etc/systemd/system/bad.service"), a.replace("Type=exec", "Type=sometimes"));
    const bad = await verify(root, "bad.service");
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("Failed to parse service type");
    await rm(join(root, "opt/things/bin/thing-a"));
    const missing = await verify(root, "things-thing-a.service");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("/opt/things/bin/thing-a");
  });

  it("without the table (and with --user): one hardened unit per executable, still valid and ≤ 4.0", async () => {
    const { project } = await writeTwoExecutables(join(work.path, "plain"));
    await writeTree(project, { "pylock.toml": lockFor([{ wheel: greet, url: `${server.origin}/files/${greet.filename}` }]) });
    const out = join(work.path, "plain-bundle");
    const built = await cli(["bundle", "--project", project, ...TARGET, "-o", out, "--systemd", "--user", "things"]);
    expect(built.code).toBe(0);

    const { root, units } = await installInRoot(out, "/opt/things", "plain");
    expect(units).toEqual(["things-thing-a.service", "things-thing-b.service", "things-thing-c.service"]);
    for (const unit of units) {
      const text = await readFile(join(root, "etc/systemd/system", unit), "utf8");
      expect(text).toContain("\nUser=things\n");
      expect(text).toContain("\nRestart=on-failure\n");
      expect(await verify(root, unit)).toEqual({ code: 0, stdout: "", stderr: "" });
      expect(await exposure(join(root, "etc/systemd/system", unit))).toBeLessThanOrEqual(MAX_EXPOSURE);
    }
  });

  it("a unit as bare as the old ones scores far above the limit (so the limit means something)", async () => {
    const old = join(work.path, "old.service");
    await writeFile(old, "[Service]\nType=simple\nExecStart=/opt/things/bin/thing-a\nRestart=on-failure\n");
    expect(await exposure(old)).toBeGreaterThan(9);
  });
});
