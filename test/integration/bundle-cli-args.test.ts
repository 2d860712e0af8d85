// How the real CLI splits `pystore bundle …` (build) from `pystore bundle verify OUT …`: each command gets
// its own options wherever they are written after its name (no network: the lock points at a local wheel).

import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockFor, writeTree } from "../../fixtures/projects.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { run, tempDir } from "../bundle/helpers.js";
import { runCli } from "../helpers/cli.js";

// dist/ is built by `npm test`'s pretest (or `npx tsc -p .` by hand) before these run.
let work: { path: string; cleanup: () => Promise<void> };
let wheel: BuiltWheel;
let lock: string;
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

const cli = (args: string[]) => runCli(args, { cwd: work.path, env: { PYSTORE_STORE: join(work.path, "store"), SOURCE_DATE_EPOCH: "0" } });

beforeAll(async () => {
  work = await tempDir("bundle-cli-args");
  wheel = await buildWheel(
    {
      name: "plain",
      version: "1.0",
      files: { "plain/__init__.py": "X = 1\ndef main():\n    return 0\n" },
      entryPoints: { console_scripts: { plain: "plain:main" } },
    },
    join(work.path, "wheels"),
  );
  lock = join(work.path, "pylock.toml");
  await writeTree(work.path, { "pylock.toml": lockFor([{ wheel, path: join("wheels", wheel.filename) }]) });
});
afterAll(() => work?.cleanup());

describe("pystore bundle --json (the build)", () => {
  it("takes --json anywhere among its options, and an OUT that is literally named `verify`", async () => {
    const built = await cli(["bundle", "--json", "-l", lock, ...TARGET, "-o", "verify"]);
    expect(built.stderr).not.toMatch(/error/);
    expect(built.code).toBe(0);
    const result = JSON.parse(built.stdout) as { out: string; packages: { name: string }[] };
    expect(result.out).toBe(join(work.path, "verify"));
    expect(result.packages.map((p) => p.name)).toEqual(["plain"]);

    const trailing = await cli(["bundle", "-l", lock, ...TARGET, "-o", "second", "--json"]);
    expect(trailing.code).toBe(0);
    expect(JSON.parse(trailing.stdout).out).toBe(join(work.path, "second"));
    const explicit = await cli(["bundle", "build", "-l", lock, ...TARGET, "--json", "-o", "third"]);
    expect(explicit.code).toBe(0);
    expect(JSON.parse(explicit.stdout).out).toBe(join(work.path, "third"));
  });
});

describe("pystore bundle summary", () => {
  it("names executables by real path for a directory, and inside the archive for tar.gz and .pyz", async () => {
    const dir = await cli(["bundle", "-l", lock, ...TARGET, "--dep-scripts", "-o", "summary-dir"]);
    expect(dir.code).toBe(0);
    expect(dir.stdout).toContain(`\n  ${join(work.path, "summary-dir", "bin", "plain")}\n`);
    const tar = await cli(["bundle", "-l", lock, ...TARGET, "--dep-scripts", "-o", "summary.tar.gz"]);
    expect(tar.code).toBe(0);
    expect(tar.stdout).toContain("\n  bin/plain (inside summary.tar.gz)\n");
    expect(tar.stdout).not.toContain("summary.tar.gz/");
    const pyz = await cli(["bundle", "-l", lock, ...TARGET, "--dep-scripts", "-o", "summary.pyz"]);
    expect(pyz.code).toBe(0);
    expect(pyz.stdout).toContain("\n  plain (inside summary.pyz; run: python3 summary.pyz plain)\n");
  });
});

describe("pystore bundle verify OUT", () => {
  it("--json after OUT, before OUT, or absent", async () => {
    const out = join(work.path, "checked");
    // --copy: this test edits a file in place, which in a hardlinked bundle would edit the store's tree too.
    expect((await cli(["bundle", "-l", lock, ...TARGET, "--copy", "-o", out])).code).toBe(0);
    const expected = { bundle: out, ok: true, changed: [], missing: [], extra: [] };
    const after = await cli(["bundle", "verify", out, "--json"]);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toEqual(expected);
    const before = await cli(["bundle", "verify", "--json", out]);
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toEqual(expected);
    const text = await cli(["bundle", "verify", out]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`${out}: ok, every file matches pystore-bundle.json\n`);

    const file = join(out, "site-packages", "plain", "__init__.py");
    await chmod(file, 0o644);
    await writeFile(file, "X = 2\n");
    const changed = await cli(["bundle", "verify", out, "--json"]);
    expect(changed.code).toBe(EXIT.checkFailed);
    expect(JSON.parse(changed.stdout)).toEqual({ ...expected, ok: false, changed: ["site-packages/plain/__init__.py"] });
  });

  it("checks a tar.gz without extracting it: pristine passes, a rewritten archive with a modified member fails naming it", async () => {
    const archive = join(work.path, "verify-me.tar.gz");
    const built = await cli(["bundle", "-l", lock, ...TARGET, "-o", archive]);
    expect(built.code).toBe(0);
    const clean = await cli(["bundle", "verify", archive]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe(`${archive}: ok, every file matches pystore-bundle.json\n`);

    // Rewrite the archive with one member's bytes changed (same size, so only the hash tells).
    const unpack = join(work.path, "verify-me-unpacked");
    await mkdir(unpack);
    expect(run("tar", ["-xzf", archive, "-C", unpack]).status).toBe(0);
    await writeFile(join(unpack, "bundle/site-packages/plain/__init__.py"), "X = 2\ndef main():\n    return 0\n");
    const tampered = join(work.path, "tampered.tar.gz");
    expect(run("tar", ["-czf", tampered, "-C", unpack, "bundle"]).status).toBe(0);
    const text = await cli(["bundle", "verify", tampered]);
    expect(text.code).toBe(EXIT.checkFailed);
    expect(text.stdout).toBe("changed: site-packages/plain/__init__.py\n");
    expect(text.stderr).toContain("1 changed, 0 missing, 0 extra");
    const json = await cli(["bundle", "verify", tampered, "--json"]);
    expect(json.code).toBe(EXIT.checkFailed);
    expect(JSON.parse(json.stdout)).toEqual({
      bundle: tampered,
      ok: false,
      changed: ["site-packages/plain/__init__.py"],
      missing: [],
      extra: [],
    });

    // A file that is neither a gzip archive nor a .pyz is a usage error.
    expect((await cli(["bundle", "verify", lock])).code).toBe(EXIT.usage);
  });

  it("refuses the build's options and a missing OUT as usage errors (exit 2)", async () => {
    const out = join(work.path, "checked");
    const foreign = await cli(["bundle", "verify", out, "-o", "elsewhere"]);
    expect(foreign.code).toBe(EXIT.usage);
    expect(foreign.stderr).toMatch(/unknown option '-o'/);
    const missing = await cli(["bundle", "verify", "--json"]);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toMatch(/missing required argument 'out'/);
  });
});
