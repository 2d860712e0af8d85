// How failures are reported through the built CLI: `error: …` and `hint: …` on stderr, the error code with
// -v, and one `{"error": {code, message, hint, details}}` object on stdout with --json. Outputs are compared
// whole (exit code + stdout + stderr) with the temp directory replaced by a placeholder.

import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel } from "../../fixtures/wheels.js";
import { errorJson } from "../../src/cli/error-report.js";
import { PystoreError } from "../../src/errors.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { type TempDir, tempDir } from "../helpers/temp.js";

let work: TempDir;

beforeAll(async () => {
  work = await tempDir("cli-errors");
  await mkdir(join(work.path, "store"));
});
afterAll(async () => work?.cleanup());

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const r = await runCli(args, {
    cwd: work.path,
    env: { PYSTORE_STORE: join(work.path, "store"), PYSTORE_DEBUG: "", ...env },
    timeoutMs: 60_000,
  });
  const scrub = (text: string) => text.split(work.path).join("[TMP]");
  return { code: r.code, stdout: scrub(r.stdout), stderr: scrub(r.stderr) };
}

const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

describe("--json on failure", () => {
  it("lock with a bad requirement: INVALID_REQUIREMENT on stdout, the caret message on stderr, exit 3", async () => {
    const r = await cli(["lock", "bad req ===", "--json", ...TARGET]);
    const message =
      'Invalid requirement "bad req ===": Expected end or semicolon (after name and no valid version specifier)\n    bad req ===\n        ^';
    expect(r).toEqual({
      code: 3,
      stdout: `${JSON.stringify({ error: { code: "INVALID_REQUIREMENT", details: {}, hint: null, message } }, null, 2)}\n`,
      stderr: `error: ${message}\n`,
    });
  });

  it("fetch with a missing lock: FILE_NOT_FOUND with its hint, exit 3", async () => {
    const r = await cli(["fetch", "-l", "missing.toml", "--json"]);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: "FILE_NOT_FOUND",
        details: {},
        hint: "run pystore lock first, or pass -l FILE",
        message: "there is no lock at [TMP]/missing.toml",
      },
    });
    expect(r.stderr).toBe("error: there is no lock at [TMP]/missing.toml\nhint: run pystore lock first, or pass -l FILE\n");
  });

  it("store info of an unknown entry: ENTRY_NOT_FOUND, exit 7", async () => {
    const r = await cli(["store", "info", "no-such-project", "--json"]);
    expect(r).toEqual({
      code: 7,
      stdout: `${JSON.stringify(
        {
          error: {
            code: "ENTRY_NOT_FOUND",
            details: {},
            hint: "see `pystore store ls`",
            message: 'nothing in the store matches "no-such-project"',
          },
        },
        null,
        2,
      )}\n`,
      stderr: 'error: nothing in the store matches "no-such-project"\nhint: see `pystore store ls`\n',
    });
  });

  it("lock --check without a lock: LOCK_STALE, exit 1", async () => {
    const dir = join(work.path, "no-lock");
    await mkdir(dir);
    await writeFile(join(dir, "pyproject.toml"), '[project]\nname = "app"\nversion = "1"\ndependencies = []\n');
    const r = await cli(["lock", "--check", "--json", "--project", dir]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: "LOCK_STALE", details: {}, hint: "run pystore lock", message: "[TMP]/no-lock/pylock.toml does not exist" },
    });
  });

  it("a report printed before the failure keeps its members beside `error` (one JSON document)", async () => {
    const store = join(work.path, "damaged-store");
    const wheel = await buildWheel({ name: "alpha", version: "1.0" }, join(work.path, "wheels"));
    expect((await cli(["store", "add", wheel.path], { PYSTORE_STORE: store })).code).toBe(0);
    const [entry] = JSON.parse((await cli(["store", "ls", "--json"], { PYSTORE_STORE: store })).stdout) as { path: string }[];
    const path = entry.path.replace("[TMP]", work.path);
    await chmod(path, 0o644);
    const bytes = await readFile(path);
    bytes[30] ^= 0xff;
    await writeFile(path, bytes);
    const r = await cli(["store", "verify", "--json"], { PYSTORE_STORE: store });
    expect(r.code).toBe(6);
    const parsed = JSON.parse(r.stdout);
    expect(parsed.problems).toHaveLength(1);
    expect(parsed.error).toMatchObject({
      code: "STORE_CORRUPTED",
      message: expect.stringMatching(/^1 stored wheel is damaged: \w+-alpha-1\.0-py3-none-any$/),
    });
    expect(r.stderr).toMatch(/^error: 1 stored wheel is damaged/m);
  });

  it("a usage error found by the option parser is USAGE, exit 2", async () => {
    const r = await cli(["store", "ls", "--json", "--no-such-option"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: "USAGE", details: {}, hint: null, message: "unknown option '--no-such-option'" },
    });
  });

  it("commands without --json keep stdout empty", async () => {
    const r = await cli(["store", "info", "no-such-project"]);
    expect(r).toMatchObject({ code: 7, stdout: "" });
  });
});

describe("-v and PYSTORE_DEBUG=1 show the code on stderr", () => {
  it.each([
    [["-v", "store", "info", "no-such-project"], {}],
    [["store", "info", "no-such-project"], { PYSTORE_DEBUG: "1" }],
  ])("%j %j", async (args, env) => {
    const r = await cli(args, env);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('error[ENTRY_NOT_FOUND]: nothing in the store matches "no-such-project"\nhint: see `pystore store ls`\n');
  });
});

describe("errorJson", () => {
  it("redacts credentials in message, hint and details, sorts keys, and keeps non-JSON values printable", () => {
    const error = new PystoreError("NETWORK", "https://alice:s3cret@example.org/simple/ is down", {
      hint: "try https://example.org/simple/?token=abc123",
      details: { url: "https://bob:pw2@example.org/x.whl", nested: [{ z: 1, a: "https://u:pw3@h/" }], size: 10n },
    });
    const text = errorJson(error);
    expect(text).not.toMatch(/s3cret|abc123|pw2|pw3/);
    expect(JSON.parse(text)).toEqual({
      error: {
        code: "NETWORK",
        details: { nested: [{ a: "https://****@h/", z: 1 }], size: "10", url: "https://****@example.org/x.whl" },
        hint: "try https://example.org/simple/?token=****",
        message: "https://****@example.org/simple/ is down",
      },
    });
  });

  it("reports anything that is not a PystoreError as INTERNAL", () => {
    expect(JSON.parse(errorJson(new TypeError("boom"))).error).toMatchObject({ code: "INTERNAL", hint: null });
  });
});

describe("what the machine refuses", () => {
  it("too few open files is said in words with a hint, not reported as a bug", async () => {
    const { spawnSync } = await import("node:child_process");
    const { PYSTORE_BIN } = await import("../helpers/cli.js");
    // With 21 descriptors Node starts, and opening pystore's own files runs out (from 25 up, a `store verify`
    // of an empty store succeeds; below 19 Node itself fails first, before pystore could say anything).
    const r = spawnSync("sh", ["-c", `ulimit -n 21; exec "${process.execPath}" "${PYSTORE_BIN}" store verify`], {
      encoding: "utf8",
      env: { ...process.env, PYSTORE_STORE: join(work.path, "store") },
    });
    expect(r.stderr, r.stderr).not.toContain("internal error");
    expect(r.stderr).toContain("too many open files (raise `ulimit -n`) (EMFILE)");
    expect(r.status).toBe(3);
  });
});
