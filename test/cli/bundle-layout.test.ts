// How bin/build-bundle.mjs lays out dist/bundled/ (docs/architecture.md, "Build and layout"): the hot
// commands' code is grouped into one file each, a group needs only main.js and other groups (the lock group main.js alone), and
// a run that starts no process does not load child_process (nor the dgram and more it brings).

import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp.js";

const BUNDLED = fileURLToPath(new URL("../../dist/bundled/", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/pystore", import.meta.url));
const built = existsSync(join(BUNDLED, "main.js"));

/** The files of dist/bundled/ a file imports statically (`import … from './x.js'`, `import './x.js'`). */
function staticImports(file: string): string[] {
  const text = readFileSync(join(BUNDLED, file), "utf8");
  return [...text.matchAll(/^import\s+(?:[^'"]*?\s+from\s+)?['"]\.\/([^'"]+)['"]/gm)].map((m) => m[1]).sort();
}

/** The one file of `group` (e.g. "lock-group-<hash>.js"). */
function groupFile(group: string): string {
  const files = readdirSync(BUNDLED).filter((f) => new RegExp(`^${group}-group-[\\w-]+\\.js$`).test(f));
  expect(files, `dist/bundled/ has one ${group} group`).toHaveLength(1);
  return files[0];
}

describe.runIf(built)("the bundled CLI's files", () => {
  it("main.js imports no other file: --version and --help load one file", () => {
    expect(staticImports("main.js")).toEqual([]);
  });

  it("a hot command's group imports only main.js and other groups, and the lock group main.js alone", () => {
    const groups = readdirSync(BUNDLED).filter((f) => /^[\w-]+-group-[\w-]+\.js$/.test(f));
    expect(groups.length).toBeGreaterThanOrEqual(4);
    for (const file of groups) {
      for (const name of staticImports(file)) expect(name === "main.js" || groups.includes(name), `${file} imports ${name}`).toBe(true);
    }
    const lock = groupFile("lock");
    expect(staticImports(lock)).toEqual(["main.js"]);
    // The memo's answer (src/app/lock.ts) is in it: a lock with nothing to resolve loads main.js and that file.
    expect(readFileSync(join(BUNDLED, lock), "utf8")).toContain("it was resolved from are unchanged and fresh; nothing resolved");
  });

  it("a command that starts no process loads neither child_process nor dgram", async () => {
    const dir = await tempDir("bundle-layout");
    try {
      const record = join(dir.path, "modules.txt");
      const preload = join(dir.path, "record.cjs");
      // Node's own list of the built-in modules this process loaded, written as it exits.
      const script = `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(record)}, process.moduleLoadList.join("\\n")));`;
      await import("node:fs/promises").then((fs) => fs.writeFile(preload, script));
      const run = await promisify(execFile)(process.execPath, ["--require", preload, BIN, "--version"], { encoding: "utf8" });
      expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
      const loaded = readFileSync(record, "utf8").split("\n");
      expect(loaded).toContain("NativeModule fs");
      expect(loaded).not.toContain("NativeModule child_process");
      // (net is not a sign: stdout is a pipe here, a socket to Node.)
      expect(loaded).not.toContain("NativeModule dgram");
    } finally {
      await dir.cleanup();
    }
  });
});
