// The build-python setting, the one rule lock, fetch and bundle build sdists by: --build-python, else
// PYSTORE_PYTHON, else the user file's build-python (relative to the file), else unset (python3.X on PATH).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPythonSetting, buildSettings } from "../../src/commands/settings.js";

let dir: string;
let home: string;
let project: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pystore-build-python-"));
  home = join(dir, "home");
  mkdirSync(join(home, ".config", "pystore"), { recursive: true });
  writeFileSync(join(home, ".config", "pystore", "config.toml"), 'build-python = "pythons/py311"\n');
  project = join(dir, "project");
  mkdirSync(project);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fromUser = () => join(home, ".config", "pystore", "pythons", "py311");

describe("buildPythonSetting", () => {
  it.each([
    ["the flag over the variable and the file", { buildPython: "/opt/py" }, { PYSTORE_PYTHON: "/env/py" }, "/opt/py"],
    ["the variable over the file", {}, { PYSTORE_PYTHON: "/env/py" }, "/env/py"],
    ["an empty variable counts as unset", {}, { PYSTORE_PYTHON: "" }, "USER"],
    ["the user file, relative to it", {}, {}, "USER"],
  ])("%s", (_what, flags, env, expected) => {
    const value = buildPythonSetting(flags, { HOME: home, ...env }, { cwd: project });
    expect(value).toBe(expected === "USER" ? fromUser() : expected);
  });

  it("is unset with none of them", () => {
    expect(buildPythonSetting({}, { HOME: home, PYSTORE_NO_CONFIG: "1" }, { cwd: project })).toBeUndefined();
  });

  it("lock's build settings take the same value", () => {
    expect(buildSettings({}, { HOME: home, PYSTORE_PYTHON: "/env/py" }, { cwd: project }).python).toBe("/env/py");
    expect(buildSettings({}, { HOME: home }, { cwd: project }).python).toBe(fromUser());
  });

  it("a project file may not set it (a checked-out project must not pick the program that builds)", () => {
    const other = join(dir, "project-with-key");
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, "pystore.toml"), 'build-python = "/tmp/evil"\n');
    expect(() => buildPythonSetting({}, { HOME: home }, { cwd: other })).toThrow(/build-python/);
  });
});
