// Shell scripts shipped in the repository (CI, the demo, launchers' templates) parse: `sh -n` / `bash -n`
// catch a broken edit before a fresh machine does.

import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const DIRS = [".ci", "bin", "docs", "src"];

function shellScripts(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) shellScripts(path, out);
    else if (/^#!.*\b(sh|bash)\b/.test(readFileSync(path, "latin1").slice(0, 64)) || name.endsWith(".sh")) out.push(path);
  }
  return out;
}

const scripts = DIRS.flatMap((dir) => shellScripts(join(ROOT, dir))).map((path) => relative(ROOT, path));

describe("shell scripts", () => {
  it("include CI's and the demo's", () => {
    expect(scripts).toEqual(expect.arrayContaining([".ci/run", ".ci/system-packages", "docs/examples/two-tools/demo.sh"]));
  });

  it.each(scripts)("%s parses", (script) => {
    const shell = readFileSync(join(ROOT, script), "latin1").startsWith("#!/usr/bin/env bash") ? "bash" : "sh";
    const result = spawnSync(shell, ["-n", join(ROOT, script)], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});
