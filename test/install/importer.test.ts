// FileImporter: probing hardlink → clone → copy across filesystems is quiet; it only warns when a mode
// that already worked stops working.

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { FileImporter } from "../../src/install/importer.js";

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
