// docs/ci.md: its sh steps run twice over one store (the second run downloads nothing), and the GitHub
// Actions and Jenkins recipes run the same commands.

import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type IndexServer, startIndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { PYSTORE_BIN, REPO_ROOT } from "../helpers/cli.js";
import { shellBlocks } from "./shell-blocks.js";

const PAGE = join(REPO_ROOT, "docs", "ci.md");
let work: string;
let server: IndexServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-ci-doc-"));
  server = await startIndexServer({ wheels: [await buildWheel({ name: "cilib", version: "1.0" }, join(work, "wheels"))] });
  await mkdir(join(work, "bin"));
  await symlink(PYSTORE_BIN, join(work, "bin", "pystore"));
  env = {
    ...process.env,
    PATH: `${join(work, "bin")}:${process.env.PATH}`,
    PYSTORE_STORE: join(work, "cached-store"),
    PYSTORE_INDEX_URL: server.url,
    NO_COLOR: "1",
  };
  await mkdir(join(work, "app", "src", "ciapp"), { recursive: true });
  await writeFile(join(work, "app", "pyproject.toml"), '[project]\nname = "ciapp"\nversion = "1"\ndependencies = ["cilib"]\n');
  await writeFile(join(work, "app", "src", "ciapp", "__init__.py"), "");
});

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

function sh(script: string, cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", `set -eu\n${script}`], { cwd, env });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += String(d)));
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

it("runs the steps, twice over one store, and the recipes run the same commands", async () => {
  const [steps] = shellBlocks(PAGE);
  const app = join(work, "app");
  // The project's developers locked it and committed pylock.toml.
  expect((await sh("pystore lock", app)).code).toBe(0);
  const first = await sh(steps, app);
  expect(first.code, first.stderr).toBe(0);
  expect(first.stderr).toContain("1 wheel: 1 downloaded");
  const second = await sh(steps, app);
  expect(second.code, second.stderr).toBe(0);
  expect(second.stderr).toContain("1 wheel: 0 downloaded, 1 already in the store");

  // A forgotten re-lock fails the first step.
  await writeFile(join(app, "pyproject.toml"), '[project]\nname = "ciapp"\nversion = "1"\ndependencies = ["cilib", "other"]\n');
  const stale = await sh(steps, app);
  expect(stale.code).toBe(1);

  const page = await readFile(PAGE, "utf8");
  for (const command of steps.split("\n").filter(Boolean)) {
    expect(page).toContain(`- run: ${command}`);
    expect(page).toContain(`sh '${command}'`);
  }
}, 120_000);
