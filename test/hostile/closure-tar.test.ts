// Closure archives carrying what `store export` never writes (fixtures/hostile-tars.ts), through the
// store's import (src/store/import.ts): ARCHIVE_TAMPERED (exit 6) naming the member, nothing added to
// the store and no staging debris. The valid closure beside them imports, so the checks are not blanket.

import { execFile } from "node:child_process";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closureTar, polyglotClosure, type TarMember } from "../../fixtures/hostile-tars.js";
import { buildZip } from "../../fixtures/hostile-zip.js";
import { wheelEntries } from "../../fixtures/hostile-wheels.js";
import { wheelBytes } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { importClosure } from "../../src/store/import.js";
import { openStore } from "../../src/store/store.js";
import { tempDir } from "../helpers/temp.js";
import { refusal } from "./helpers.js";

let work: { path: string; cleanup: () => Promise<void> };
let good: { filename: string; bytes: Buffer };

beforeAll(async () => {
  work = await tempDir("closure-tar");
  good = { filename: "fine-1.0-py3-none-any.whl", bytes: await wheelBytes({ name: "fine", version: "1.0" }) };
});
afterAll(() => work?.cleanup());

const file = (path: string, more: Partial<TarMember> = {}): TarMember => ({ path, data: "x", ...more });

const polyglot = () =>
  polyglotClosure([good], (prefix) =>
    buildZip({ entries: wheelEntries(), prefix: Buffer.alloc(prefix), adjustOffsets: true }).subarray(prefix),
  );

const ROWS: [string, () => Buffer, RegExp][] = [
  [
    "symlink out",
    () => closureTar([good], [{ path: "wheels/evil", type: "2", linkpath: "/etc/passwd" }]),
    /"wheels\/evil" is a symbolic link/,
  ],
  [
    "symlink chain",
    () =>
      closureTar(
        [good],
        [
          { path: "a", type: "2", linkpath: "b" },
          { path: "b", type: "2", linkpath: "../../.." },
        ],
      ),
    /"a" is a symbolic link/,
  ],
  ["hard link out", () => closureTar([good], [{ path: "wheels/evil", type: "1", linkpath: "/etc/passwd" }]), /is a hard link/],
  ["hard link up", () => closureTar([good], [{ path: "wheels/evil", type: "1", linkpath: "../../outside" }]), /is a hard link/],
  ["character device", () => closureTar([good], [{ path: "wheels/tty", type: "3" }]), /is a character device/],
  ["block device", () => closureTar([good], [{ path: "wheels/sda", type: "4" }]), /is a block device/],
  ["fifo", () => closureTar([good], [{ path: "wheels/pipe", type: "6" }]), /is a FIFO/],
  ["setuid", () => closureTar([good], [file("wheels/suid", { mode: 0o4755 })]), /set-id or sticky bits \(mode 4755\)/],
  ["setgid", () => closureTar([good], [file("wheels/sgid", { mode: 0o2755 })]), /set-id or sticky bits/],
  ["sticky", () => closureTar([good], [file("wheels/sticky", { mode: 0o1755 })]), /set-id or sticky bits/],
  [
    "pax size disagrees",
    () => closureTar([good], [file("wheels/x", { data: "abcdefg", pax: { size: "600" } })]),
    /PAX size of 600 but a header size of 7/,
  ],
  [
    "pax size behind a zero header size",
    () => closureTar([good], [file("wheels/x", { data: "abcdefg", pax: { size: "7" }, headerSize: 0 })]),
    /PAX size of 7 but a header size of 0/,
  ],
  ["absolute path", () => closureTar([good], [file("/tmp/evil")]), /"\/tmp\/evil" has a path outside/],
  ["dotdot path", () => closureTar([good], [file("../evil")]), /"\.\.\/evil" has a path outside/],
  ["prefix-sibling path", () => closureTar([good], [file("wheels/../../tmp-evil/x")]), /has a path outside/],
  ["data after the end", () => closureTar([good], [], Buffer.alloc(512, 0x41)), /data after the end of the archive/],
  ["tar and zip at once", () => polyglot(), /is also a zip archive/],
];

async function freshStore(label: string) {
  return openStore({ dir: join(work.path, label) });
}

describe("store import refuses hostile closure archives", () => {
  it.each(ROWS)("%s", async (label, build, reason) => {
    const store = await freshStore(`s-${label.replace(/\W+/g, "-")}`);
    const archive = join(work.path, `${label.replace(/\W+/g, "-")}.tar`);
    await writeFile(archive, build());
    try {
      const error = await refusal(() => importClosure(store, archive));
      expect(error).toMatchObject({ code: "ARCHIVE_TAMPERED", message: expect.stringMatching(reason) });
      expect(error.message).toContain(archive);
      expect(error.exitCode).toBe(EXIT.integrity);
      expect(store.entries.list()).toEqual([]);
      expect(await readdir(join(store.dir, "tmp"))).toEqual([]);
      expect(await readdir(join(store.dir, "wheels"))).toEqual([]);
    } finally {
      store.db.close();
    }
  });

  it("the tar-and-zip row is a real zip to Python's zipfile (other files), and a real tar", async () => {
    const archive = join(work.path, "polyglot.tar");
    await writeFile(archive, polyglot());
    const script =
      "import sys, tarfile, zipfile; print(zipfile.ZipFile(sys.argv[1]).namelist()[0], tarfile.open(sys.argv[1]).getnames()[0])";
    const { stdout } = await promisify(execFile)("python3", ["-c", script, archive]);
    expect(stdout.trim()).toBe("evil/__init__.py manifest.json");
  });

  it("a valid closure of the same wheel imports", async () => {
    const store = await freshStore("valid");
    const archive = join(work.path, "valid.tar");
    await writeFile(archive, closureTar([good]));
    try {
      const result = await importClosure(store, archive);
      expect(result.added.map((e) => e.filename)).toEqual([good.filename]);
    } finally {
      store.db.close();
    }
  });
});
