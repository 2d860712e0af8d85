// The Python and shell files pystore ships (launch/*.py, launcher.sh, platform/probe.py) checked by their
// own tools: every .py compiles, the bootstrap's unit tests pass under unittest, the sh launcher parses.

import { existsSync, readFileSync, readdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shLauncher } from "../../src/bundle/launcher.js";
import { SYSTEM_PYTHON, run, tempDir } from "./helpers.js";

const ROOT = join(import.meta.dirname, "..", "..");
const shipped = (suffix: string) =>
  readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" })
    .filter((path) => path.endsWith(suffix))
    .map((path) => join(ROOT, "src", path))
    .sort();

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir("launcher-python");
});
afterAll(async () => {
  await dir?.cleanup();
});

describe("shipped Python", () => {
  it("includes the bootstraps and the host probe", () => {
    expect(shipped(".py").map((path) => relative(ROOT, path))).toEqual(
      expect.arrayContaining([
        "src/bundle/launch/boot.py",
        "src/bundle/launch/common.py",
        "src/bundle/launch/pyz_main.py",
        "src/platform/probe.py",
      ]),
    );
  });

  it.each(shipped(".py").map((path) => [relative(ROOT, path), path]))("%s compiles", (_name, path) => {
    // Compiled into a scratch prefix: nothing is written next to the sources.
    const compiled = run(SYSTEM_PYTHON, ["-X", `pycache_prefix=${dir.path}`, "-m", "py_compile", path]);
    expect(compiled.stderr).toBe("");
    expect(compiled.status).toBe(0);
  });

  it("the bootstrap's unit tests pass (test/bundle/python)", () => {
    const result = run(SYSTEM_PYTHON, ["-B", "-m", "unittest", "discover", "-s", join(ROOT, "test/bundle/python"), "-p", "test_*.py"], {
      env: { PATH: "/usr/bin:/bin", HOME: dir.path },
    });
    expect(result.stderr).toMatch(/\nOK\n$/);
    expect(result.status).toBe(0);
  });
});

describe("shipped shell", () => {
  it.each(shipped(".sh").map((path) => [relative(ROOT, path), path]))(
    "%s parses with sh -n, as a template and filled",
    async (_name, path) => {
      expect(run("sh", ["-n", path]).stderr).toBe("");
      const filled = join(dir.path, "filled.sh");
      await writeFile(filled, shLauncher("it's", { python: "3.11", target: "manylinux_2_28_x86_64-cp311" }));
      const result = run("sh", ["-n", filled]);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
    },
  );
});

describe("the build", () => {
  // dist/ exists once `npm run build` ran (npm test's pretest); the CLI loads these files from there.
  it.skipIf(!existsSync(join(ROOT, "dist")))("copies every shipped template into dist/, byte for byte", () => {
    const templates = [...shipped(".py"), ...shipped(".sh"), ...shipped(".cmd")];
    expect(templates.length).toBeGreaterThan(4);
    for (const source of templates) {
      const built = join(ROOT, "dist", relative(join(ROOT, "src"), source));
      expect(existsSync(built), `${relative(ROOT, built)} is missing: run npm run build`).toBe(true);
      expect(readFileSync(built).equals(readFileSync(source))).toBe(true);
    }
  });
});
