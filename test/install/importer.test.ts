// FileImporter: probing hardlink → clone → copy across filesystems is quiet; it only warns when a mode
// that already worked stops working.

import { linkSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { FileImporter, type LinkFn } from "../../src/install/importer.js";

const otherFs = "/dev/shm";
const crossDevice = (() => {
  try {
    return statSync(otherFs).dev !== statSync(tmpdir()).dev;
  } catch {
    return false;
  }
})();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

it.skipIf(!crossDevice)("falls back from hardlink to copy across filesystems without a warning", () => {
  const from = mkdtempSync(join(otherFs, "pystore-importer-"));
  const to = mkdtempSync(join(tmpdir(), "pystore-importer-"));
  dirs.push(from, to);
  const warnings: string[] = [];
  const debug: string[] = [];
  const importer = new FileImporter({ info() {}, warn: (m) => warnings.push(m), debug: (m) => debug.push(m) });
  for (const name of ["a.py", "b.py"]) {
    writeFileSync(join(from, name), `${name}\n`);
    importer.importFile(join(from, name), join(to, name), 0o644);
    expect(readFileSync(join(to, name), "utf8")).toBe(`${name}\n`);
  }
  expect(importer.mode).toBe("copy");
  expect(warnings).toEqual([]);
  expect(debug.some((m) => m.startsWith("hardlink is not possible here (EXDEV)"))).toBe(true);
});

it("a file at the filesystem's link limit (EMLINK) is copied alone; the files after it are still hardlinked", () => {
  const from = mkdtempSync(join(tmpdir(), "pystore-importer-"));
  const to = mkdtempSync(join(tmpdir(), "pystore-importer-"));
  dirs.push(from, to);
  const full = join(from, "LICENSE");
  // One inode that many trees and bundles share reaches ext4's ~65,000 links: injected here.
  const link: LinkFn = (existing, created) => {
    if (existing === full) throw Object.assign(new Error("EMLINK: too many links"), { code: "EMLINK" });
    linkSync(existing, created);
  };
  const warnings: string[] = [];
  const importer = new FileImporter({ info() {}, warn: (m) => warnings.push(m), debug() {} }, undefined, link);
  for (const name of ["a.py", "LICENSE", "b.py"]) {
    writeFileSync(join(from, name), `${name}\n`);
    importer.importFile(join(from, name), join(to, name), 0o644);
    expect(readFileSync(join(to, name), "utf8")).toBe(`${name}\n`);
  }
  expect(statSync(join(to, "LICENSE")).ino).not.toBe(statSync(full).ino);
  expect(statSync(join(to, "b.py")).ino).toBe(statSync(join(from, "b.py")).ino);
  expect(importer.mode).toBe("hardlink");
  expect(warnings).toEqual([]);
});

it("an importer that fell back (EXDEV) leaves the next importer starting from hardlink", () => {
  const from = mkdtempSync(join(tmpdir(), "pystore-importer-"));
  const to = mkdtempSync(join(tmpdir(), "pystore-importer-"));
  dirs.push(from, to);
  writeFileSync(join(from, "a.py"), "a\n");
  const crossing: LinkFn = () => {
    throw Object.assign(new Error("EXDEV: cross-device link"), { code: "EXDEV" });
  };
  const quiet = { info() {}, warn() {}, debug() {} };
  const first = new FileImporter(quiet, undefined, crossing);
  first.importFile(join(from, "a.py"), join(to, "first.py"), 0o644);
  expect(first.mode).not.toBe("hardlink");
  const second = new FileImporter(quiet);
  second.importFile(join(from, "a.py"), join(to, "second.py"), 0o644);
  expect(second.mode).toBe("hardlink");
  expect(statSync(join(to, "second.py")).ino).toBe(statSync(join(from, "a.py")).ino);
});
