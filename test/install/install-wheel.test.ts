// The wheel installer on fixture wheels and Debian's real pip wheel: schemes, RECORD, hostile archives.

import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel } from "../../fixtures/wheels.js";
import { installWheel } from "../../src/install/bundle-tree.js";
import { walkTree } from "../../src/bundle/manifest.js";
import { TreeWriter } from "../../src/install/tree-writer.js";
import { PystoreError } from "../../src/errors.js";
import { parseRecord } from "../../src/standards/record.js";
import { patchEntryName, tempDir } from "../bundle/helpers.js";

let dir: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  dir = await tempDir("install");
});
afterAll(async () => {
  await dir.cleanup();
});

let counter = 0;
async function fresh(): Promise<string> {
  return join(dir.path, `root-${counter++}`);
}

async function expectRefusal(promise: Promise<unknown>, code: string, text: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PystoreError);
  expect((error as PystoreError).code).toBe(code);
  expect((error as PystoreError).message).toMatch(text);
}

describe("installWheel", () => {
  it("installs files, maps .data/ schemes, writes INSTALLER and a fresh RECORD", async () => {
    const wheel = await buildWheel(
      {
        name: "Demo.Pkg",
        version: "1.2",
        files: {
          "demo_pkg/__init__.py": "X = 1\n",
          "Demo_Pkg-1.2.data/scripts/demo-tool": "#!python\nprint('hi')\n",
          "Demo_Pkg-1.2.data/data/share/demo.txt": "data\n",
          "Demo_Pkg-1.2.data/platlib/demo_native.py": "Y = 2\n",
          "Demo_Pkg-1.2.data/headers/demo.h": "int x;\n",
        },
        modes: { "demo_pkg/__init__.py": 0o755 },
        entryPoints: { console_scripts: { demo: "demo_pkg:main" } },
      },
      join(dir.path, "wheels"),
    );
    const root = await fresh();
    const installed = await installWheel(wheel.path, root);
    expect(installed.name).toBe("Demo_Pkg");
    expect(installed.version).toBe("1.2");
    expect(installed.entryPoints).toEqual([{ group: "console_scripts", name: "demo", module: "demo_pkg", attr: "main" }]);
    expect(installed.hasNativeCode).toBe(false);
    // The #!python script can get a launcher (src/bundle/scripts.ts); data files cannot.
    expect(installed.pythonScripts).toEqual(["scripts/demo-tool"]);
    expect(await readFile(join(root, "site-packages/demo_pkg/__init__.py"), "utf8")).toBe("X = 1\n");
    expect(await readFile(join(root, "site-packages/demo_native.py"), "utf8")).toBe("Y = 2\n");
    expect(await readFile(join(root, "data/share/demo.txt"), "utf8")).toBe("data\n");
    expect(await readFile(join(root, "include/Demo_Pkg/demo.h"), "utf8")).toBe("int x;\n");
    const script = await readFile(join(root, "scripts/demo-tool"), "utf8");
    expect(script).toBe("#!/usr/bin/env python3\nprint('hi')\n");
    expect((await stat(join(root, "scripts/demo-tool"))).mode & 0o777).toBe(0o755);
    expect((await stat(join(root, "site-packages/demo_pkg/__init__.py"))).mode & 0o777).toBe(0o755);
    const distInfo = join(root, "site-packages/Demo_Pkg-1.2.dist-info");
    expect(await readFile(join(distInfo, "INSTALLER"), "utf8")).toBe("pystore\n");
    const rows = parseRecord(await readFile(join(distInfo, "RECORD"), "utf8"));
    const paths = rows.map((r) => r.path);
    expect(paths).toContain("../scripts/demo-tool");
    expect(paths).toContain("Demo_Pkg-1.2.dist-info/INSTALLER");
    expect(paths[paths.length - 1]).toBe("Demo_Pkg-1.2.dist-info/RECORD");
    // The rewritten script's RECORD hash is of the installed bytes, not the wheel's.
    const scriptRow = rows.find((r) => r.path === "../scripts/demo-tool")!;
    expect(scriptRow.size).toBe(Buffer.byteLength(script));
    expect(installed.files).toEqual([...installed.files].sort());
    expect(installed.files).toContain("site-packages/Demo_Pkg-1.2.dist-info/RECORD");
  });

  it("installs the real pip wheel and reports a verifiable RECORD", async () => {
    const pip = (await readdir("/usr/share/python-wheels")).find((f) => f.startsWith("pip-"));
    expect(pip).toBeDefined();
    const root = await fresh();
    const installed = await installWheel(join("/usr/share/python-wheels", pip!), root);
    expect(installed.name).toBe("pip");
    expect(installed.entryPoints.some((e) => e.group === "console_scripts" && e.name === "pip")).toBe(true);
    expect((await stat(join(root, "site-packages/pip/__main__.py"))).isFile()).toBe(true);
    expect(installed.files.length).toBeGreaterThan(100);
  });

  it("refuses a RECORD hash mismatch and names the file", async () => {
    const wheel = await buildWheel({ name: "badrec", version: "1.0", corruptRecordFor: ["badrec/__init__.py"] }, join(dir.path, "wheels"));
    await expectRefusal(installWheel(wheel.path, await fresh()), "RECORD_MISMATCH", /badrec\/__init__\.py: sha256 does not match RECORD/);
  });

  it("refuses files missing from RECORD and wheels without RECORD", async () => {
    const extra = await buildWheel(
      { name: "unlisted", version: "1.0", rawEntries: [{ name: "unlisted/sneaky.py", data: "x" }] },
      join(dir.path, "wheels"),
    );
    await expectRefusal(
      installWheel(extra.path, await fresh()),
      "RECORD_MISMATCH",
      /unlisted\/sneaky\.py: present in the wheel but not listed in RECORD/,
    );
    const none = await buildWheel({ name: "norecord", version: "1.0", omitRecord: true }, join(dir.path, "wheels"));
    await expectRefusal(installWheel(none.path, await fresh()), "RECORD_MISMATCH", /no RECORD/);
  });

  it.each([
    ["NUL in name", { name: "evil\u0000.py", data: "x" }, /control character/],
    ["symlink", { name: "hostile/link", data: "/etc/passwd", symlink: true }, /symbolic link/],
    ["duplicate", { name: "hostile/__init__.py", data: "x" }, /duplicate entry/],
    ["case-folded duplicate", { name: "HOSTILE/__init__.py", data: "x" }, /duplicate entry/],
  ])("refuses a wheel with a %s entry before writing anything", async (_label, raw, message) => {
    const wheel = await buildWheel({ name: "hostile", version: "1.0", rawEntries: [raw] }, join(dir.path, `hostile-${counter}`));
    const root = await fresh();
    await expectRefusal(installWheel(wheel.path, root), "UNSAFE_WHEEL", message);
    await expect(stat(root)).rejects.toThrow();
  });

  it.each([
    ["traversal", "../../evil.py", /escapes the install directory/],
    ["absolute path", "/tmp/xx/evil.py", /absolute path/],
    ["drive letter", "C:/Windows/e.py", /drive-letter/],
    ["UNC path", "\\\\srv\\share\\e.py", /backslash/],
  ])("refuses a wheel with a %s entry (patched in after writing)", async (_label, hostile, message) => {
    const placeholder = "x".repeat(Buffer.byteLength(hostile as string));
    const wheel = await buildWheel(
      { name: "patched", version: "1.0", rawEntries: [{ name: placeholder, data: "boom" }] },
      join(dir.path, `patched-${counter}`),
    );
    const path = join(dir.path, `patched-${counter++}.whl`);
    await writeFile(path, patchEntryName(wheel.bytes, placeholder, hostile as string));
    const root = await fresh();
    await expectRefusal(installWheel(path, root), "UNSAFE_WHEEL", message);
    await expect(stat(root)).rejects.toThrow();
  });

  it("installs the same tree from the file or from bytes in memory, and its writer records each file's real hash, size and mode", async () => {
    const wheel = await buildWheel(
      {
        name: "twin",
        version: "1.0",
        files: {
          "twin/__init__.py": "X = 1\n",
          "twin/sub/data.txt": "zz".repeat(5000),
          "twin/empty.txt": "",
          "twin-1.0.data/scripts/twin": "#!python\nprint(1)\n",
        },
        modes: { "twin/__init__.py": 0o755 },
      },
      join(dir.path, "wheels"),
    );
    const fromFile = await fresh();
    const fromMemory = await fresh();
    const writer = new TreeWriter(fromMemory);
    await installWheel(wheel.path, fromFile);
    await installWheel(wheel.path, fromMemory, { data: wheel.bytes, writer });
    const onDisk = await walkTree(fromMemory);
    expect(await walkTree(fromFile)).toEqual(onDisk);
    expect(onDisk.find((f) => f.path === "site-packages/twin/__init__.py")?.mode).toBe("0755");
    expect(onDisk.find((f) => f.path === "scripts/twin")?.mode).toBe("0755");
    const recorded = [...writer.written].map(([path, w]) => ({ path, ...w })).sort((a, b) => (a.path < b.path ? -1 : 1));
    expect(recorded).toEqual(onDisk);
    // The manifest walk trusts the writer's record without reading files back, and agrees with a full walk.
    expect(await walkTree(fromMemory, { known: writer.written })).toEqual(onDisk);
  });

  it("refuses an entry whose compressed data is corrupt, from the file or from memory", async () => {
    const wheel = await buildWheel(
      { name: "broken", version: "1.0", files: { "broken/data.txt": "A".repeat(4000) } },
      join(dir.path, "broken-wheel"),
    );
    const bytes = Buffer.from(wheel.bytes);
    const name = Buffer.from("broken/data.txt");
    const at = bytes.indexOf(name); // the local header's copy of the name comes first
    expect(bytes.readUInt16LE(at - 22)).toBe(8); // deflated
    // 0xff starts a deflate block of the reserved type 3, which no inflater accepts.
    bytes[at + name.length + bytes.readUInt16LE(at - 2)] = 0xff;
    const path = join(dir.path, "broken-1.0-py3-none-any.whl");
    await writeFile(path, bytes);
    await expectRefusal(installWheel(path, await fresh()), "UNSAFE_WHEEL", /broken\/data\.txt.*cannot inflate/);
    await expectRefusal(installWheel(path, await fresh(), { data: bytes }), "UNSAFE_WHEEL", /broken\/data\.txt.*cannot inflate/);
  });

  it("refuses a file that another wheel already installed", async () => {
    const a = await buildWheel({ name: "one", version: "1.0", files: { "shared/x.py": "a" } }, join(dir.path, "wheels"));
    const b = await buildWheel({ name: "two", version: "1.0", files: { "shared/x.py": "b" } }, join(dir.path, "wheels"));
    const root = await fresh();
    const claimed = new Map<string, string>();
    await installWheel(a.path, root, { claimed });
    await expectRefusal(installWheel(b.path, root, { claimed }), "BUNDLE_FAILED", /already installed by one-1\.0-py3-none-any\.whl/);
  });
});
