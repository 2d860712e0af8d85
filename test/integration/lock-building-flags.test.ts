// The building flags are lock inputs: recorded in [tool.pystore] when not the defaults, so `lock --check`
// compares them and a bare re-lock keeps them, like the lock's other inputs.

import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type IndexServer, startIndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { runCli } from "../helpers/cli.js";

let work: string;
let server: IndexServer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-building-"));
  server = await startIndexServer({ wheels: [await buildWheel({ name: "flagged", version: "1.0" }, join(work, "wheels"))] });
  await mkdir(join(work, "app"));
  await writeFile(join(work, "app", "pyproject.toml"), '[project]\nname = "flags-app"\nversion = "1"\ndependencies = ["flagged"]\n');
});

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const cli = (args: string[]) =>
  runCli(args, { cwd: join(work, "app"), env: { PYSTORE_STORE: join(work, "store"), PYSTORE_INDEX_URL: server.url } });

it("records --no-build and --no-binary-package, checks them, and keeps them on a bare re-lock", async () => {
  const target = ["--platform", "manylinux_x86_64", "--python", "3.11"];
  expect((await cli(["lock", ...target])).code).toBe(0);
  const plain = await readFile(join(work, "app", "pylock.toml"), "utf8");
  expect(plain).not.toContain("no-build");

  const locked = await cli(["lock", ...target, "--no-build"]);
  expect(locked.code, locked.stderr).toBe(0);
  const text = await readFile(join(work, "app", "pylock.toml"), "utf8");
  expect(text).toContain("no-build = true");
  expect((await cli(["lock", "--check"])).code).toBe(0);

  const again = await cli(["lock"]);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toContain("building flags");
  expect(await readFile(join(work, "app", "pylock.toml"), "utf8")).toBe(text);

  // Checked against flags that differ from the record, the lock is stale and says which input changed.
  const other = await cli(["lock", "--check", "--no-binary-package", "Flagged"]);
  expect(other.code).toBe(EXIT.checkFailed);
  expect(other.stderr).toContain("no-binary-packages");
});
