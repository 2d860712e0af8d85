// Credentials after a lock: the lock stores none, so `fetch` and `bundle` take them from --index-url
// (same host and port), ~/.netrc ($NETRC) or PYSTORE_INDEX_URL; the password must never reach output or disk.

import { readdir, readFile, rm, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { runCli, type CliResult } from "../helpers/cli.js";

const USER = "ci-bot";
const PASSWORD = "canary-Pw-7f3e9d";

let work: string;
let server: IndexServer;
let authedUrl: string;
let lockPath: string;
const outputs: CliResult[] = [];

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  // HOME points into the temp dir so a developer's own ~/.netrc cannot make a test pass.
  const result = await runCli(args, { env: { HOME: work, NETRC: "", PYSTORE_INDEX_URL: "", ...env } });
  outputs.push(result);
  expect(result.stderr).not.toContain("internal error");
  return result;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-fetch-auth-"));
  const wheels = await Promise.all([
    buildWheel({ name: "private-app", version: "1.0", requiresDist: ["private-lib"] }, join(work, "wheels")),
    buildWheel({ name: "private-lib", version: "2.0" }, join(work, "wheels")),
  ]);
  server = await startIndexServer({ wheels, auth: { username: USER, password: PASSWORD } });
  authedUrl = server.url.replace("://", `://${USER}:${PASSWORD}@`);
  lockPath = join(work, "pylock.toml");
  const lock = await cli(
    ["lock", "private-app", "-o", lockPath, "--platform", "manylinux_x86_64", "--python", "3.11", "--index-url", authedUrl],
    {
      PYSTORE_STORE: join(work, "store-lock"),
    },
  );
  expect(lock.code, lock.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("credentials for downloads after a lock", () => {
  it("a plain fetch gets 401 with a hint naming --index-url USER:PASSWORD and ~/.netrc / $NETRC", async () => {
    const r = await cli(["fetch", "-l", lockPath], { PYSTORE_STORE: join(work, "store-plain") });
    expect(r.code).toBe(EXIT.network);
    expect(r.stderr).toMatch(/AUTH_REQUIRED|401/);
    // The CLI redacts every user:password@ it prints, the hint's USER:PASSWORD placeholder included.
    expect(r.stderr).toMatch(/hint: .*--index-url https:\/\/\S*@host\/simple\//);
    expect(r.stderr).toContain("~/.netrc");
    expect(r.stderr).toContain("$NETRC");
  });

  it("fetch --index-url with credentials authenticates downloads from the same host and port", async () => {
    const store = join(work, "store-flag");
    const before = server.requests.length;
    const r = await cli(["fetch", "-l", lockPath, "--index-url", authedUrl, "--json"], { PYSTORE_STORE: store });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { wheels: { filename: string }[] };
    expect(report.wheels.map((w) => w.filename)).toEqual(["private_app-1.0-py3-none-any.whl", "private_lib-2.0-py3-none-any.whl"]);
    const downloads = server.requests.slice(before).filter((q) => q.path.startsWith("/files/"));
    expect(downloads.length).toBeGreaterThanOrEqual(2);
    // No page of the index is needed: the lock has the URLs, the flag only lends its credentials.
    expect(server.requests.slice(before).some((q) => q.path.startsWith("/simple/"))).toBe(false);
  });

  it("fetch reads credentials from $NETRC", async () => {
    const netrc = join(work, "netrc");
    await writeFile(netrc, `machine 127.0.0.1\n  login ${USER}\n  password ${PASSWORD}\n`, { mode: 0o600 });
    const r = await cli(["fetch", "-l", lockPath], { PYSTORE_STORE: join(work, "store-netrc"), NETRC: netrc });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(2);
  });

  it("fetch takes credentials from PYSTORE_INDEX_URL", async () => {
    const r = await cli(["fetch", "-l", lockPath], { PYSTORE_STORE: join(work, "store-env"), PYSTORE_INDEX_URL: authedUrl });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(2);
  });

  it("bundle downloads with the same credential sources", async () => {
    const base = ["bundle", "-l", lockPath, "--platform", "manylinux_x86_64", "--python", "3.11", "--format", "dir"];
    const denied = await cli([...base, "-o", join(work, "bundle-denied")], { PYSTORE_STORE: join(work, "store-bundle-denied") });
    expect(denied.code).toBe(EXIT.network);
    expect(denied.stderr).toMatch(/hint: .*--index-url https:\/\/\S*@host\/simple\/.*~\/\.netrc/);
    const flag = await cli([...base, "-o", join(work, "bundle-flag"), "--index-url", authedUrl], {
      PYSTORE_STORE: join(work, "store-bundle-flag"),
    });
    expect(flag.code, flag.stderr).toBe(0);
    const env = await cli([...base, "-o", join(work, "bundle-env")], {
      PYSTORE_STORE: join(work, "store-bundle-env"),
      PYSTORE_INDEX_URL: authedUrl,
    });
    expect(env.code, env.stderr).toBe(0);
  });

  it("the password appears in no output and in no file written (lock, stores, bundles)", async () => {
    expect(outputs.length).toBeGreaterThanOrEqual(7);
    for (const r of outputs) {
      expect(r.stdout).not.toContain(PASSWORD);
      expect(r.stderr).not.toContain(PASSWORD);
    }
    const lockText = await readFile(lockPath, "utf8");
    expect(lockText).toContain("127.0.0.1");
    const written = (await filesUnder(work)).filter((f) => f !== join(work, "netrc"));
    expect(written.some((f) => f.endsWith(".db") || f.includes("sqlite"))).toBe(true);
    for (const file of written) expect((await readFile(file)).includes(PASSWORD), file).toBe(false);
  });
});
