// `pystore python add|list|find` and the store commands over interpreters, through the built CLI, with a
// relocatable interpreter made from the machine's own Python (fixtures/python-standalone.ts).

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildStandalonePython, hostPythonJson, standaloneUnavailable } from "../../fixtures/python-standalone.js";
import { tarMembers, type TarMember } from "../../fixtures/hostile-tars.js";
import { runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

const unavailable = standaloneUnavailable();
let work: TempDir;
let source: string;

beforeAll(async () => {
  work = await tempDir("python-store");
  if (unavailable) return;
  source = join(work.path, "standalone");
  buildStandalonePython(source, { pythonJson: hostPythonJson() });
});
afterAll(async () => {
  await work?.cleanup();
});

const cli = (args: string[], store: string) => runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store } });

describe.skipIf(unavailable !== undefined)("pystore python add/list/find", () => {
  it("stores a directory and its .tar.gz as the same entry, probed by running it", async () => {
    const store = join(work.path, "store-a");
    const added = await cli(["python", "add", source, "--json"], store);
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    const [entry] = JSON.parse(added.stdout) as Record<string, unknown>[];
    expect(entry).toMatchObject({
      status: "added",
      implementation: "cpython",
      python: "3.11",
      os: "linux",
      machine: "x86_64",
      libc: "glibc",
      executable: "python/bin/python3",
      build: { target_triple: "x86_64-unknown-linux-gnu" },
    });
    expect(entry.entryName).toMatch(/^[0-9a-z]{32}-cpython-3\.11\.\d+-linux-x86_64-gnu$/);
    // The stored tree is the entry's, read-only, and runs from where it lies.
    const dir = entry.dir as string;
    const run = spawnSync(join(dir, "python/bin/python3"), ["-S", "-c", "import sys; print(sys.prefix)"], { encoding: "utf8", env: {} });
    expect(run.stdout.trim()).toBe(join(dir, "python"));

    const archive = join(work.path, "standalone.tar.gz");
    expect(spawnSync("tar", ["-C", source, "-czf", archive, "python"]).status).toBe(0);
    const again = await cli(["python", "add", archive], store);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`present ${(entry.sha256 as string).slice(0, 12)}`);

    const listed = await cli(["python", "list", "--json"], store);
    expect((JSON.parse(listed.stdout) as { sha256: string }[]).map((e) => e.sha256)).toEqual([entry.sha256]);
    const du = JSON.parse((await cli(["store", "du", "--json"], store)).stdout);
    // The interpreter's files as they are on disk (not its canonical tar), and the database: the whole store.
    expect(du).toMatchObject({ pythons: 1, bytes: du.pythonBytes + du.databaseBytes });
    const found = await cli(["python", "find", "--platform", "manylinux_x86_64", "--python", "3.11"], store);
    expect(found.code).toBe(0);
    expect(found.stdout).toContain(entry.entryName as string);
    for (const [platform, python] of [
      ["manylinux_x86_64", "3.12"],
      ["manylinux_aarch64", "3.11"],
      ["musllinux_x86_64", "3.11"],
    ]) {
      const none = await cli(["python", "find", "--platform", platform, "--python", python], store);
      expect(none.code, `${platform} ${python}`).toBe(1);
      expect(none.stdout).toBe("");
    }
  });

  it("refuses an interpreter that is not relocatable, or whose symlinks leave its tree", async () => {
    const store = join(work.path, "store-b");
    // The binary alone: it falls back to the standard library it was built for, outside the tree.
    const lonely = join(work.path, "lonely", "python");
    mkdirSync(join(lonely, "bin"), { recursive: true });
    cpSync(join(source, "python/bin/python3.11"), join(lonely, "bin/python3"));
    const refused = await cli(["python", "add", join(work.path, "lonely")], store);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("is not relocatable");
    expect(refused.stderr).toContain("hint:");

    const escaping = join(work.path, "escaping");
    cpSync(source, escaping, { recursive: true, verbatimSymlinks: true });
    symlinkSync("/etc/passwd", join(escaping, "python/lib/python3.11/evil.py"));
    const refusedLink = await cli(["python", "add", escaping], store);
    expect(refusedLink.code).toBe(3);
    expect(refusedLink.stderr).toContain(`python/lib/python3.11/evil.py is a symlink to "/etc/passwd"`);
    expect(refusedLink.stderr).toContain(escaping);

    // Archives that try to write outside the staging directory, or through a symlink out of it.
    const hostile: [string, TarMember[]][] = [
      [
        "dotdot",
        [
          { path: "python/bin/python3", data: "#!/bin/sh\n" },
          { path: "python/../../escaped.txt", data: "x" },
        ],
      ],
      [
        "through-link",
        [
          { path: "python/lib", type: "2", linkpath: "/tmp" },
          { path: "python/lib/escaped.txt", data: "x" },
        ],
      ],
    ];
    for (const [name, members] of hostile) {
      const archive = join(work.path, `${name}.tar.gz`);
      writeFileSync(archive, gzipSync(tarMembers(members)));
      const result = await cli(["python", "add", archive], store);
      expect(result.code, name).toBe(3);
      expect(result.stderr).toContain(archive);
    }
    expect(existsSync(join(store, "escaped.txt")) || existsSync("/tmp/escaped.txt")).toBe(false);

    const zst = join(work.path, "python.tar.zst");
    writeFileSync(zst, "");
    const refusedZst = await cli(["python", "add", zst], store);
    expect(refusedZst.code).toBe(3);
    expect(refusedZst.stderr).toMatch(/\.tar\.zst/);
    const listed = await cli(["python", "list", "--json"], store);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });

  it("store export --python carries an interpreter as its canonical tar; import re-hashes it and refuses any other tar", async () => {
    const from = join(work.path, "store-export");
    const to = join(work.path, "store-import");
    const added = JSON.parse((await cli(["python", "add", source, "--json"], from)).stdout)[0] as { sha256: string; entryName: string };
    const archive = join(work.path, "closure.tar");
    const exported = await cli(["store", "export", "--python", added.sha256.slice(0, 8), "-o", archive], from);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain("0 wheel(s) and 1 interpreter(s)");
    const imported = await cli(["store", "import", archive, "--json"], to);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout).pythons).toEqual([{ entryName: added.entryName, status: "added" }]);
    const listed = JSON.parse((await cli(["python", "list", "--json"], to)).stdout) as { sha256: string; dir: string }[];
    expect(listed.map((e) => e.sha256)).toEqual([added.sha256]);
    const run = spawnSync(join(listed[0]!.dir, "python/bin/python3"), ["-S", "-c", "print(1 + 1)"], { encoding: "utf8", env: {} });
    expect(run.stdout).toBe("2\n");
    expect((await cli(["store", "verify"], to)).code).toBe(0);

    // The same tree as an ordinary tar, listed with its own (correct) sha256: not the canonical bytes.
    const forged = join(work.path, "forged");
    mkdirSync(join(forged, "pythons"), { recursive: true });
    const member = join(forged, "pythons", "x.tar");
    expect(spawnSync("tar", ["-C", source, "-cf", member, "python"]).status).toBe(0);
    const bytes = readFileSync(member);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    renameSync(member, join(forged, "pythons", `${sha256}.tar`));
    const manifest = JSON.parse(spawnSync("tar", ["-xOf", archive, "manifest.json"], { encoding: "utf8" }).stdout);
    manifest.members = [{ path: `pythons/${sha256}.tar`, sha256, size: bytes.length }];
    manifest.pythons[0].sha256 = sha256;
    writeFileSync(join(forged, "manifest.json"), JSON.stringify(manifest));
    const forgedArchive = join(work.path, "forged.tar");
    expect(spawnSync("tar", ["-C", forged, "-cf", forgedArchive, "manifest.json", `pythons/${sha256}.tar`]).status).toBe(0);
    const refused = await cli(["store", "import", forgedArchive], join(work.path, "store-forged"));
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain("not a canonical interpreter tar");
    expect(JSON.parse((await cli(["python", "list", "--json"], join(work.path, "store-forged"))).stdout)).toEqual([]);
  });

  it("store reindex rebuilds an interpreter's row from its entry.json after the database is lost", async () => {
    const store = join(work.path, "store-reindex");
    const added = JSON.parse((await cli(["python", "add", source, "--json"], store)).stdout)[0] as { sha256: string; entryName: string };
    for (const suffix of ["", "-wal", "-shm"]) rmSync(join(store, `store.db${suffix}`), { force: true });
    // A new, empty index would list no interpreter: the store is refused until it is rebuilt from entry.json.
    const refused = await cli(["python", "list"], store);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toContain("holds stored interpreters");
    expect(refused.stderr).toContain("pystore store reindex");
    const reindexed = await cli(["store", "reindex", "--json"], store);
    expect(reindexed.code, reindexed.stderr).toBe(0);
    expect(JSON.parse(reindexed.stdout).pythons.added).toEqual([{ entryName: added.entryName, sha256: added.sha256 }]);
    const listed = JSON.parse((await cli(["python", "list", "--json"], store)).stdout) as { sha256: string }[];
    expect(listed.map((e) => e.sha256)).toEqual([added.sha256]);
  });

  it("store verify finds an edited interpreter file; store gc collects an unrooted interpreter", async () => {
    const store = join(work.path, "store-c");
    const added = JSON.parse((await cli(["python", "add", source, "--json"], store)).stdout)[0] as { dir: string; entryName: string };
    const clean = await cli(["store", "verify", "--json"], store);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout).steps["check-pythons"]).toEqual({ checked: 1, damaged: 0 });

    const victim = join(added.dir, "python/lib/python3.11/os.py");
    chmodSync(victim, 0o644);
    writeFileSync(victim, "# edited\n", { flag: "a" });
    const damaged = await cli(["store", "verify"], store);
    expect(damaged.code).toBe(6);
    expect(damaged.stdout).toContain(`corrupted ${added.entryName}`);

    const young = await cli(["store", "gc", "--json"], store);
    expect(JSON.parse(young.stdout).pythons).toMatchObject({ kept: 1, keptYoung: 1, removed: [] });
    const gc = await cli(["store", "gc", "--grace", "0", "--json"], store);
    expect(gc.code).toBe(0);
    expect(JSON.parse(gc.stdout).pythons.removed.map((e: { entryName: string }) => e.entryName)).toEqual([added.entryName]);
    expect(existsSync(added.dir)).toBe(false);
    expect(JSON.parse((await cli(["python", "list", "--json"], store)).stdout)).toEqual([]);
  });
});
