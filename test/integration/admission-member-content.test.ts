// Through the built CLI: a wheel on a local index whose member's bytes do not match its RECORD is locked
// and fetched (admission inflates no ordinary member: docs/wheel-safety.md), the first bundle refuses it
// with RECORD_MISMATCH (exit 9) naming the member and writes no output, and `store verify` reports it.

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

let work: TempDir;
let server: IndexServer;
let liar: BuiltWheel;
let honest: BuiltWheel;

const cli = (store: string, ...args: string[]) =>
  runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store, SOURCE_DATE_EPOCH: "0", PYSTORE_INDEX_URL: "" }, timeoutMs: 120_000 });

beforeAll(async () => {
  work = await tempDir("admission-member-content");
  const wheels = join(work.path, "wheels");
  liar = await buildWheel(
    {
      name: "liar",
      version: "1.0",
      files: { "liar/__init__.py": "x = 1\n", "liar/core.py": "y = 2\n" },
      corruptRecordFor: ["liar/core.py"],
    },
    wheels,
  );
  honest = await buildWheel({ name: "honest", version: "1.0" }, wheels);
  server = await startIndexServer({ wheels: [liar, honest] });
});
afterAll(async () => {
  await server?.close();
  await work?.cleanup();
});

describe("a member that does not match RECORD", () => {
  it("is locked and fetched; the bundle refuses it with no output; store verify reports it", async () => {
    const store = join(work.path, "store");
    const lock = join(work.path, "pylock.toml");
    const locked = await cli(store, "lock", "liar", "honest", "-o", lock, "--project", work.path, ...TARGET, "--index-url", server.url);
    expect(locked.code, locked.stderr).toBe(0);

    const fetched = await cli(store, "fetch", "-l", lock, "--frozen");
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(server.requests.some((r) => r.path.endsWith(`/${liar.filename}`))).toBe(true);

    const out = join(work.path, "out");
    const bundled = await cli(store, "bundle", "-l", lock, "--frozen", "--offline", ...TARGET, "-o", out);
    expect(bundled.code).toBe(EXIT.bundle);
    expect(bundled.stderr).toMatch(/^error: /m);
    expect(bundled.stderr).toContain(`${liar.filename}: liar/core.py: sha256 does not match RECORD`);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work.path).filter((name) => name.startsWith(".") || name.startsWith("out"))).toEqual([]);
    expect(readdirSync(join(store, "tmp"))).toEqual([]);

    const verify = await cli(store, "store", "verify", "--json");
    expect(verify.code).toBe(EXIT.integrity);
    const report = JSON.parse(verify.stdout) as {
      checked: number;
      problems: { sha256: string; status: string; what: string; reason?: string }[];
    };
    expect(report.checked).toBe(2);
    expect(report.problems).toEqual([
      {
        entryName: expect.any(String),
        found: null,
        repairError: null,
        repaired: false,
        sha256: liar.sha256,
        status: "invalid",
        what: "wheel",
        reason: expect.stringContaining("liar/core.py: sha256 does not match RECORD"),
      },
    ]);
    const text = await cli(store, "store", "verify");
    expect(text.code).toBe(EXIT.integrity);
    expect(text.stdout).toMatch(
      /^invalid \S+liar-1\.0-py3-none-any \(liar-1\.0-py3-none-any\.whl: liar\/core\.py: sha256 does not match RECORD\)$/m,
    );
  });
});
