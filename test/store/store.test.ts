// The store library: adding, finding, verified reads, the SQLite HTTP cache, the format gate, temp cleanup.

import { spawnSync } from "node:child_process";
import { chmod, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bodySha256 } from "../../src/index-client/cache.js";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { PystoreError } from "../../src/errors.js";
import { STORE_FORMAT_VERSION } from "../../src/format-versions.js";
import { cleanTempDebris } from "../../src/store/content.js";
import { parseEntryName, shortDigest } from "../../src/store/layout.js";
import { silentLogger } from "../../src/util/log.js";
import { openStore } from "../../src/store/store.js";
import { buildWheels, SAMPLE_SPECS } from "./helpers.js";
import { tempDir } from "../helpers/temp.js";

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];

beforeAll(async () => {
  work = await tempDir("store");
  wheels = await buildWheels(SAMPLE_SPECS, join(work.path, "wheels"));
});
afterAll(() => work.cleanup());

describe("store entries", () => {
  it("stores a wheel once, by sha256, with its metadata, tags and Nix-style name", async () => {
    const store = await openStore({ dir: join(work.path, "s1") });
    try {
      const alpha = wheels[0];
      const entry = await store.addWheelFile(alpha.path, {
        originUrl: "https://user:secret@example.org/files/alpha-1.0-py3-none-any.whl",
        index: "https://user:secret@example.org/simple/",
      });
      expect(entry.sha256).toBe(alpha.sha256);
      expect(entry.size).toBe(alpha.size);
      expect(entry.integrity).toBe(`sha256-${Buffer.from(alpha.sha256, "hex").toString("base64")}`);
      expect(entry.name).toBe("alpha");
      expect(entry.version).toBe("1.0");
      expect(entry.tags).toEqual(["py3-none-any"]);
      expect(entry.requiresPython).toBe(">=3.8");
      expect(entry.metadata).toBe(alpha.metadata);
      expect(entry.dependencies).toHaveLength(2);
      expect(entry.dependencies[0]).toMatch(/^beta\s*>=\s*2$/);
      expect(entry.originUrl).not.toContain("secret");
      expect(entry.index).not.toContain("secret");
      expect(parseEntryName(entry.entryName)).toEqual({
        digest: shortDigest(alpha.sha256),
        name: "alpha",
        version: "1.0",
        tag: "py3-none-any",
      });
      expect(entry.path).toBe(join(work.path, "s1", "wheels", entry.entryName, alpha.filename));
      expect(await readFile(entry.path)).toEqual(alpha.bytes);
      expect((await stat(entry.path)).mode & 0o777).toBe(0o444);

      const again = await store.addWheelFile(alpha.path);
      expect(again.sha256).toBe(entry.sha256);
      expect(again.originUrl).toBe(entry.originUrl);
      expect(store.list()).toHaveLength(1);
      expect(await readdir(join(work.path, "s1", "wheels"))).toEqual([entry.entryName]);
      expect(await readdir(join(work.path, "s1", "tmp"))).toEqual([]);
    } finally {
      store.close();
    }
  });

  it("lists deterministically and finds by any name spelling, filename or digest prefix", async () => {
    const store = await openStore({ dir: join(work.path, "s2") });
    try {
      for (const w of [...wheels].reverse()) await store.addWheelFile(w.path);
      const listed = store.list().map((e) => `${e.name}==${e.version}`);
      expect(listed).toEqual(["alpha==1.0", "beta==1.0", "beta==2.1", "gamma==0.3", "zope-interface==5.4.0"]);
      expect(store.find("ZOPE_interface").map((e) => e.version)).toEqual(["5.4.0"]);
      expect(store.find("Beta").map((e) => e.version)).toEqual(["1.0", "2.1"]);
      const gamma = store.find("gamma")[0];
      expect(gamma.tags).toEqual(["cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"]);
      expect(store.find(gamma.sha256.slice(0, 10)).map((e) => e.sha256)).toEqual([gamma.sha256]);
      expect(store.find(gamma.entryName.slice(0, 8)).map((e) => e.sha256)).toEqual([gamma.sha256]);
      expect(store.find(gamma.filename).map((e) => e.sha256)).toEqual([gamma.sha256]);
      expect(store.find("nothing")).toEqual([]);
    } finally {
      store.close();
    }
  });

  it("refuses a hash that differs from the expected one and stores nothing", async () => {
    const store = await openStore({ dir: join(work.path, "s3") });
    try {
      const err = await store.addWheelFile(wheels[1].path, { expectedSha256: "0".repeat(64) }).catch((e) => e);
      expect(err).toBeInstanceOf(PystoreError);
      expect(err.code).toBe("HASH_MISMATCH");
      expect(store.list()).toEqual([]);
      expect(await readdir(join(work.path, "s3", "wheels"))).toEqual([]);
    } finally {
      store.close();
    }
  });

  it("refuses a file that is not a wheel, quoting it", async () => {
    const store = await openStore({ dir: join(work.path, "s4") });
    try {
      const bogus = join(work.path, "bogus-1.0-py3-none-any.whl");
      await writeFile(bogus, "not a zip");
      await expect(store.addWheelFile(bogus)).rejects.toMatchObject({ code: "INVALID_METADATA" });
      await expect(store.addWheelFile(join(work.path, "missing-1.0-py3-none-any.whl"))).rejects.toMatchObject({ code: "FILE_NOT_FOUND" });
      expect(store.list()).toEqual([]);
    } finally {
      store.close();
    }
  });

  it("never returns bad bytes from a corrupted object", async () => {
    const store = await openStore({ dir: join(work.path, "s5") });
    try {
      const entry = await store.addWheelFile(wheels[1].path);
      expect(store.readVerified(entry)).toEqual(wheels[1].bytes);
      await chmod(entry.path, 0o644);
      const bytes = await readFile(entry.path);
      bytes[10] ^= 0xff;
      await writeFile(entry.path, bytes);
      expect(() => store.readVerified(entry)).toThrowError(expect.objectContaining({ code: "STORE_CORRUPTED" }));
      // Re-adding the good wheel replaces the corrupt file rather than trusting it.
      await store.addWheelFile(wheels[1].path);
      expect(store.readVerified(entry)).toEqual(wheels[1].bytes);
    } finally {
      store.close();
    }
  });

  it("says whether an add was new, already present, or repaired a missing or damaged copy", async () => {
    const store = await openStore({ dir: join(work.path, "s5b") });
    try {
      const first = await store.addWheel(wheels[2].path);
      expect(first.status).toBe("added");
      expect((await store.addWheel(wheels[2].path)).status).toBe("present");
      await rm(first.entry.path);
      expect((await store.addWheel(wheels[2].path)).status).toBe("repaired");
      expect(store.readVerified(first.entry)).toEqual(wheels[2].bytes);
      await chmod(first.entry.path, 0o644);
      await writeFile(first.entry.path, "damaged");
      expect((await store.addWheel(wheels[2].path)).status).toBe("repaired");
      expect(store.readVerified(first.entry)).toEqual(wheels[2].bytes);
      expect((await store.addWheel(wheels[2].path)).status).toBe("present");
    } finally {
      store.close();
    }
  });

  it("backs the index client's HTTP cache with SQLite, without credentials in keys", async () => {
    const dir = join(work.path, "s6");
    const store = await openStore({ dir });
    store.httpCache().put("https://u:p@example.org/simple/a/", {
      body: "<html>",
      contentType: "text/html",
      etag: '"x"',
      fetchedAt: "2024-01-01T00:00:00Z",
    });
    store.close();
    const reopened = await openStore({ dir });
    try {
      expect(reopened.httpCache().get("https://example.org/simple/a/")).toEqual({
        body: "<html>",
        contentType: "text/html",
        etag: '"x"',
        fetchedAt: "2024-01-01T00:00:00Z",
        sha256: bodySha256("<html>"),
      });
      expect(reopened.httpCache().get("https://example.org/simple/b/")).toBeUndefined();
    } finally {
      reopened.close();
    }
  });

  it("refuses a store of an unknown format version, without changing it", async () => {
    const dir = join(work.path, "s7");
    (await openStore({ dir })).close();
    const db = new Database(join(dir, "store.db"));
    db.prepare("UPDATE meta SET value = ? WHERE key = 'format_version'").run(String(STORE_FORMAT_VERSION + 1));
    db.close();
    const err = await openStore({ dir }).catch((e) => e);
    expect(err).toMatchObject({ code: "STORE_FORMAT" });
    expect(err.message).toContain(`format version ${STORE_FORMAT_VERSION + 1}`);
    expect(err.exitCode).toBe(7);
    const check = new Database(join(dir, "store.db"), { readonly: true });
    expect(check.prepare("SELECT value FROM meta WHERE key = 'format_version'").get()).toEqual({ value: String(STORE_FORMAT_VERSION + 1) });
    check.close();
  });

  it("refuses a foreign SQLite database", async () => {
    const dir = join(work.path, "s8");
    await mkdir(dir, { recursive: true });
    const foreign = new Database(join(dir, "store.db"));
    foreign.exec("CREATE TABLE other (x)");
    foreign.close();
    await expect(openStore({ dir })).rejects.toMatchObject({ code: "STORE_FORMAT" });
    // Refused before any pragma wrote to it: still in its own journal mode, still only its own table.
    const after = new Database(join(dir, "store.db"), { readonly: true });
    expect(after.pragma("journal_mode", { simple: true })).toBe("delete");
    expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: "other" }]);
    after.close();
  });
});

describe("temp debris cleanup", () => {
  it("removes debris of dead writers and stale files, never a live writer's fresh file", async () => {
    const dir = join(work.path, "s-debris");
    (await openStore({ dir })).close();
    const tmp = join(dir, "tmp");
    const deadPid = spawnSync(process.execPath, ["-e", "0"]).pid!;
    const livePid = process.ppid; // the vitest parent: alive for the whole test
    await writeFile(join(tmp, `.tmp-a.whl.${deadPid}.abcdef`), "partial");
    await writeFile(join(tmp, `.tmp-b.whl.${livePid}.abcdef`), "in progress");
    await writeFile(join(tmp, `.tmp-c.whl.${livePid}.fedcba`), "abandoned");
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(join(tmp, `.tmp-c.whl.${livePid}.fedcba`), old, old);
    await mkdir(join(tmp, `.tmp-import.${livePid}.aaaaaa`, "wheels"), { recursive: true });
    await utimes(join(tmp, `.tmp-import.${livePid}.aaaaaa`), old, old);
    expect(await cleanTempDebris(dir, silentLogger)).toBe(2);
    expect((await readdir(tmp)).sort()).toEqual([`.tmp-b.whl.${livePid}.abcdef`, `.tmp-import.${livePid}.aaaaaa`]);
  });
});
