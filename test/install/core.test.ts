// The install core (src/install/core.ts) driven by a fake source and a fake destination: no filesystem.

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { install, type InstallDestination } from "../../src/install/core.js";
import { parseRecord } from "../../src/standards/record.js";
import type { StoredMember, WheelSource } from "../../src/wheel/source.js";

const sha = (data: Buffer) => createHash("sha256").update(data).digest();
const DI = "demo-1.0.dist-info";

/** A source over members in memory; `stored` offers some of them as already on disk. */
function fakeSource(
  members: Record<string, string>,
  opts: { executable?: string[]; stored?: string[]; root?: "purelib" | "platlib" } = {},
) {
  const all: Record<string, string> = {
    [`${DI}/METADATA`]: "Name: demo\nVersion: 1.0\n",
    [`${DI}/WHEEL`]: `Wheel-Version: 1.0\nRoot-Is-Purelib: ${opts.root !== "platlib"}\n`,
    [`${DI}/RECORD`]: "",
    ...members,
  };
  const reads: string[] = [];
  const source: WheelSource = {
    filename: "demo-1.0-py3-none-any.whl",
    distInfo: DI,
    files: Object.keys(all).map((path) => ({ path, executable: opts.executable?.includes(path) ?? false })),
    read(path) {
      reads.push(path);
      const data = Buffer.from(all[path]);
      return { data, sha256: sha(data) };
    },
    stored(path): StoredMember | undefined {
      if (!opts.stored?.includes(path)) return undefined;
      const data = Buffer.from(all[path]);
      return { location: `/store/${path}`, sha256: sha(data).toString("hex"), size: data.length };
    },
  };
  return { source, reads };
}

function fakeDestination(canLink: boolean) {
  const files = new Map<string, { data?: Buffer; linkedFrom?: string; mode: number; sha256: string }>();
  const destination: InstallDestination = {
    write(target, data, mode, sha256) {
      if (files.has(target)) throw new Error(`${target} written twice`);
      files.set(target, { data, mode, sha256: sha256.toString("hex") });
    },
    link: canLink
      ? (target, member, mode) => {
          files.set(target, { linkedFrom: member.location, mode, sha256: member.sha256 });
        }
      : undefined,
  };
  return { destination, files };
}

describe("install(source, destination)", () => {
  it("maps schemes, rewrites #!python scripts, and finishes the .dist-info with INSTALLER and a sorted RECORD", () => {
    const { source } = fakeSource(
      {
        "demo/__init__.py": "X = 1\n",
        "demo/tool.sh": "#!/bin/sh\n",
        "demo-1.0.data/scripts/demo": "#!python\nprint(1)\n",
        "demo-1.0.data/scripts/sub/helper": "#!python\n",
        "demo-1.0.data/headers/demo.h": "int x;\n",
        [`${DI}/entry_points.txt`]: "[console_scripts]\ndemo = demo:main\n",
      },
      { executable: ["demo/tool.sh"] },
    );
    const { destination, files } = fakeDestination(false);
    const installed = install(source, destination);
    expect(installed).toMatchObject({ name: "demo", version: "1.0", distInfo: `site-packages/${DI}`, hasNativeCode: false });
    expect(installed.entryPoints).toEqual([{ group: "console_scripts", name: "demo", module: "demo", attr: "main" }]);
    expect(installed.pythonScripts).toEqual(["scripts/demo"]);
    expect(files.get("scripts/demo")).toMatchObject({ data: Buffer.from("#!/usr/bin/env python3\nprint(1)\n"), mode: 0o755 });
    expect(files.get("site-packages/demo/tool.sh")?.mode).toBe(0o755);
    expect(files.get("site-packages/demo/__init__.py")?.mode).toBe(0o644);
    expect(files.has("include/demo/demo.h")).toBe(true);
    expect(files.get(`site-packages/${DI}/INSTALLER`)?.data?.toString()).toBe("pystore\n");
    const rows = parseRecord(files.get(`site-packages/${DI}/RECORD`)!.data!.toString());
    expect(rows.at(-1)).toEqual({ path: `${DI}/RECORD` });
    expect(rows.slice(0, -1).map((r) => r.path)).toEqual(
      rows
        .slice(0, -1)
        .map((r) => r.path)
        .sort(),
    );
    // The rewritten script is recorded with the bytes it has now, not the wheel's.
    const script = rows.find((r) => r.path === "../scripts/demo")!;
    expect(script.hash!.digest).toBe(sha(files.get("scripts/demo")!.data!).toString("base64url"));
    expect(installed.files).toEqual([...files.keys()].sort());
  });

  it("links what the source has stored and the destination can link, reading only WHEEL, entry points and scripts", () => {
    const members = { "demo/__init__.py": "X = 1\n", "demo/_speed.so": "ELF", "demo-1.0.data/scripts/demo": "#!python\n" };
    const stored = [...Object.keys(members), `${DI}/METADATA`, `${DI}/WHEEL`];
    const { source, reads } = fakeSource(members, { stored });
    const { destination, files } = fakeDestination(true);
    const installed = install(source, destination);
    expect(files.get("site-packages/demo/__init__.py")).toMatchObject({ linkedFrom: "/store/demo/__init__.py", mode: 0o644 });
    expect(files.get("scripts/demo")?.data).toEqual(Buffer.from("#!/usr/bin/env python3\n"));
    expect(reads.sort()).toEqual(["demo-1.0.data/scripts/demo", `${DI}/WHEEL`]);
    expect(installed.hasNativeCode).toBe(true);
    // Linked members are recorded with the source's hash.
    const rows = parseRecord(files.get(`site-packages/${DI}/RECORD`)!.data!.toString());
    expect(rows.find((r) => r.path === "demo/__init__.py")?.hash?.digest).toBe(sha(Buffer.from("X = 1\n")).toString("base64url"));
  });

  it("gives the same tree whether members are linked or written", () => {
    const members = { "demo/a.py": "a", "demo/b/c.txt": "c", "demo-1.0.data/data/share/x": "x" };
    const written = fakeDestination(false);
    const linked = fakeDestination(true);
    install(fakeSource(members).source, written.destination);
    install(fakeSource(members, { stored: Object.keys(members) }).source, linked.destination);
    const shape = (files: Map<string, { sha256: string; mode: number }>) => [...files].map(([p, f]) => [p, f.sha256, f.mode]).sort();
    expect(shape(linked.files)).toEqual(shape(written.files));
  });

  it("refuses a member another wheel installed before handing anything over", () => {
    const claimed = new Map([["site-packages/demo/__init__.py", "other-1.0-py3-none-any.whl"]]);
    const { destination, files } = fakeDestination(false);
    expect(() => install(fakeSource({ "demo/__init__.py": "" }).source, destination, { claimed })).toThrow(
      expect.objectContaining({
        code: "BUNDLE_FAILED",
        message: expect.stringMatching(/already installed by other-1\.0-py3-none-any\.whl/),
      }),
    );
    expect(files.size).toBe(0);
  });

  it("claims every file it installs, RECORD and INSTALLER included", () => {
    const claimed = new Map<string, string>();
    const { destination } = fakeDestination(false);
    const installed = install(fakeSource({ "demo/__init__.py": "" }).source, destination, { claimed });
    expect([...claimed.keys()].sort()).toEqual(installed.files);
    expect(new Set(claimed.values())).toEqual(new Set(["demo-1.0-py3-none-any.whl"]));
  });

  it("uses platlib for a Root-Is-Purelib: false wheel and a custom scheme and interpreter", () => {
    const scheme = { purelib: "lib/pure", platlib: "lib/plat", scripts: "bin", data: "share", headers: "inc" };
    const { source } = fakeSource(
      { "demo/x.py": "", "demo-1.0.data/purelib/p.py": "", "demo-1.0.data/scripts/s": "#!pythonw\r\n" },
      { root: "platlib" },
    );
    const { destination, files } = fakeDestination(false);
    const installed = install(source, destination, { scheme, scriptInterpreter: "/opt/py/bin/python3" });
    expect(installed.distInfo).toBe(`lib/plat/${DI}`);
    expect([...files.keys()]).toEqual(expect.arrayContaining(["lib/plat/demo/x.py", "lib/pure/p.py", "bin/s"]));
    expect(files.get("bin/s")?.data?.toString()).toBe("#!/opt/py/bin/python3\r\n");
  });

  it.each([
    ["an unknown .data scheme", { "demo-1.0.data/etc/x": "" }, "UNSAFE_WHEEL", /unknown install scheme "etc"/],
    ["a .data path that escapes", { "demo-1.0.data/data/../../../x": "" }, "UNSAFE_WHEEL", /escapes the install directory/],
    // Sources hand over normalised paths; a ".." that would only leave the scheme's directory is refused too,
    // not resolved away into another directory of the bundle (the root, or site-packages for a .pth).
    ["a path that leaves site-packages", { "demo/../../x.py": "" }, "UNSAFE_WHEEL", /escapes the install directory/],
    [
      "a .data path into site-packages",
      { "demo-1.0.data/data/../site-packages/x.pth": "" },
      "UNSAFE_WHEEL",
      /escapes the install directory/,
    ],
  ])("refuses %s", (_label, members, code, message) => {
    const { destination } = fakeDestination(false);
    expect(() => install(fakeSource(members).source, destination)).toThrow(
      expect.objectContaining({ code, message: expect.stringMatching(message) }),
    );
  });

  it("refuses a .dist-info without WHEEL, and a Wheel-Version 2", () => {
    const { source } = fakeSource({});
    const noWheel = { ...source, files: source.files.filter((f) => !f.path.endsWith("/WHEEL")) };
    expect(() => install(noWheel, fakeDestination(false).destination)).toThrow(/has no WHEEL file/);
    const v2 = {
      ...source,
      read: (p: string) =>
        p.endsWith("/WHEEL") ? { data: Buffer.from("Wheel-Version: 2.0\n"), sha256: Buffer.alloc(32) } : source.read(p),
    };
    expect(() => install(v2, fakeDestination(false).destination)).toThrow(expect.objectContaining({ code: "UNSAFE_WHEEL" }));
  });
});
