// src/util/fs-errors.ts: fs failures as typed errors with the cause in words; and the write protocol
// removing temp files a killed writer left beside its destination (src/util/atomic-write.ts).

import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PystoreError } from "../../src/errors.js";
import { writeFileAtomic } from "../../src/util/atomic-write.js";
import { fsCauseInWords, refusedWrite, writeFailure } from "../../src/util/fs-errors.js";

const errno = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${code}: something, write`), { code, errno: -1, syscall: "write", ...extra });

describe("refusedWrite", () => {
  it.each([
    ["ENOSPC", /no space left on the filesystem \(ENOSPC\)/, /free some space/],
    ["EDQUOT", /disk quota is exhausted \(EDQUOT\)/, /free some space/],
    ["EROFS", /read-only \(EROFS\)/, /make that path writable/],
    ["EACCES", /permission denied \(EACCES\)/, /make that path writable/],
    ["EMFILE", /too many open files .*\(EMFILE\)/, /open-file limit/],
    ["ENFILE", /too many open files \(ENFILE\)/, /open-file limit/],
  ])("%s: the path, what was written and the cause in words, with a hint", (code, message, hint) => {
    const error = refusedWrite(errno(code), "/out/app.pyz", "the archive", "IO")!;
    expect(error).toBeInstanceOf(PystoreError);
    expect(error.code).toBe("IO");
    expect(error.message).toMatch(/^cannot write the archive to \/out\/app\.pyz: /);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(hint);
    expect(error.details).toEqual({ path: "/out/app.pyz", errno: code });
  });

  it("STORE_IO for the store, with --store as a way out; nothing for errors that are not refusals", () => {
    expect(refusedWrite(errno("ENOSPC"), "/s/tmp/x", "x", "STORE_IO")?.hint).toMatch(/--store/);
    expect(refusedWrite(errno("ENOENT"), "/x", "x")).toBeUndefined();
    expect(refusedWrite(new TypeError("a bug"), "/x", "x")).toBeUndefined();
  });
});

describe("writeFailure", () => {
  it("names the path the error carries (a copy's destination first) and words for other errno codes", () => {
    const error = writeFailure(errno("ENAMETOOLONG", { path: "/src/a", dest: "/out/aaaa" }), "/out", "the bundle");
    expect(error.message).toBe(
      "cannot write the bundle to /out/aaaa: the path or one of its names is too long for the filesystem (ENAMETOOLONG)",
    );
    expect(error.code).toBe("IO");
  });

  it("keeps a PystoreError as it is, and falls back to the message for an unknown code", () => {
    const typed = new PystoreError("HASH_MISMATCH", "bad bytes");
    expect(writeFailure(typed, "/x", "x")).toBe(typed);
    expect(fsCauseInWords(errno("EWHATEVER"))).toBe("EWHATEVER: something, write");
  });
});

describe("temp files a killed writer left beside its destination", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pystore-fs-errors-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("are removed by the next write of that destination; a live writer's and other files' are kept", async () => {
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadPid = Number(dead.stdout);
    const leftByDead = `.tmp-out.txt.${deadPid}.0123456789ab`;
    const live = `.tmp-out.txt.${process.ppid}.0123456789ab`;
    const other = `.tmp-other.txt.${deadPid}.0123456789ab`;
    for (const name of [leftByDead, live, other]) await writeFile(join(dir, name), "partial");
    await writeFileAtomic(join(dir, "out.txt"), "done");
    expect((await readdir(dir)).sort()).toEqual([live, other, "out.txt"].sort());
  });
});
