// Building sdists end to end through the built CLI: a project depending on an sdist-only package (the
// in-tree fixture backend: no build requirements) locks, bundles and runs; a second lock or bundle reuses
// the stored build; the same sdist built in two stores gives the same bytes; --no-build keeps the old
// NO_MATCHING_WHEEL; a failing build shows its log's tail; a build reaching for the network fails.

import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:net";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTree } from "../../fixtures/projects.js";
import { inTreeSdist, pkgInfo, writeSdist, writeZipSdist } from "../../fixtures/sdists.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

const PYTHON = "/usr/bin/python3";
let work: TempDir;
let links: string;

beforeAll(async () => {
  work = await tempDir("sdist-build");
  links = join(work.path, "links");
  await writeSdist(inTreeSdist("inline", "1.0", { module: "VALUE = 'inline works'\n", requiresDist: ["helper"] }), links);
  await writeSdist(inTreeSdist("helper", "1.0", { module: "VALUE = 'helper works'\n" }), links);
});

afterAll(async () => {
  await work?.cleanup();
});

const cli = (args: string[], store: string, env: NodeJS.ProcessEnv = {}) =>
  runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store, PYSTORE_PYTHON: PYTHON, SOURCE_DATE_EPOCH: "", ...env } });

async function project(name: string, deps: string[]): Promise<string> {
  const dir = join(work.path, name);
  await rm(dir, { recursive: true, force: true });
  await writeTree(dir, {
    "pyproject.toml": `[project]\nname = "${name}"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = ${JSON.stringify(deps)}\n\n[project.scripts]\n${name} = "${name.replace(/-/g, "_")}.main:main"\n`,
    [`src/${name.replace(/-/g, "_")}/__init__.py`]: "",
    [`src/${name.replace(/-/g, "_")}/main.py`]: `import importlib\n\ndef main():\n    for mod in ${JSON.stringify(deps)}:\n        m = importlib.import_module(mod)\n        built = importlib.import_module(mod + "._built")\n        print(mod, m.VALUE, built.HASHSEED, built.PROXY)\n`,
  });
  return dir;
}

const LOCK_FLAGS = (extra: string[] = []) => ["--no-index", "--find-links", links, ...extra];

describe("sdists built by the in-tree fixture backend", () => {
  it("locks (recording the sdist and the built wheel), bundles and runs; a second lock and bundle build nothing", async () => {
    const dir = await project("uses-inline", ["inline"]);
    const store = join(work.path, "store-a");
    const locked = await cli(["lock", "--project", dir, ...LOCK_FLAGS()], store, { HTTPS_PROXY: "http://127.0.0.1:9" });
    expect(locked.stderr).toContain("building inline-1.0.tar.gz");
    expect(locked.code).toBe(0);
    const lock = parsePylock(await readFile(join(dir, "pylock.toml"), "utf8"));
    const inline = lock.packages.find((p) => p.name === "inline")!;
    expect(inline.wheels).toBeUndefined();
    expect((inline.sdist as { name: string }).name).toBe("inline-1.0.tar.gz");
    const built = (inline.tool as { pystore: { built: { name: string; hashes: { sha256: string } }[] } }).pystore.built;
    expect(built.map((b) => b.name)).toEqual(["inline-1.0-py3-none-any.whl"]);
    expect(lock.packages.map((p) => p.name)).toEqual(["helper", "inline"]);

    const again = await cli(["lock", "--project", dir, ...LOCK_FLAGS()], store);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain("building ");
    expect(again.stderr).toContain("unchanged");

    const out = join(work.path, "bundle-a");
    const bundled = await cli(["bundle", "--project", dir, "-o", out], store);
    expect(bundled.code, bundled.stderr).toBe(0);
    expect(bundled.stderr).not.toContain("building ");
    const run = spawnSync(join(out, "bin", "uses-inline"), [], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin", PYSTORE_PYTHON: PYTHON },
    });
    expect(run.stderr).toBe("");
    // Built with PYTHONHASHSEED=0 and without the caller's proxy variables.
    expect(run.stdout).toBe("inline inline works 0 False\n");
  });

  it("reads static PKG-INFO (PEP 643) without asking the backend, and falls back to build_wheel without prepare_metadata", async () => {
    const staticLinks = join(work.path, "links-static");
    await writeSdist(
      inTreeSdist("static-meta", "1.0", { metadataVersion: "2.2", forbidPrepare: true, requiresDist: ["helper"] }),
      staticLinks,
    );
    await writeSdist(inTreeSdist("helper", "1.0", { noPrepare: true }), staticLinks);
    const dir = await project("uses-static", ["static_meta"]);
    await writeTree(dir, { "pyproject.toml": `[project]\nname = "uses-static"\nversion = "0.1.0"\ndependencies = ["static-meta"]\n` });
    const r = await cli(["lock", "--project", dir, "--no-index", "--find-links", staticLinks], join(work.path, "store-static"));
    expect(r.code, r.stderr).toBe(0);
    const lock = parsePylock(await readFile(join(dir, "pylock.toml"), "utf8"));
    expect(lock.packages.map((p) => `${p.name} ${p.version}`)).toEqual(["helper 1.0", "static-meta 1.0"]);
    // A dynamic PKG-INFO with forbidPrepare must reach the backend, which refuses: proof the static path was taken above.
    const dynLinks = join(work.path, "links-dynamic");
    await writeSdist(inTreeSdist("static-meta", "1.0", { metadataVersion: "2.1", forbidPrepare: true }), dynLinks);
    const dyn = await cli(["lock", "--project", dir, "--no-index", "--find-links", dynLinks], join(work.path, "store-dynamic"));
    expect(dyn.code).toBe(9);
    expect(dyn.stderr).toContain("prepare_metadata_for_build_wheel was called");
  });

  it("refuses an sdist whose PKG-INFO lies about its name", async () => {
    const liarLinks = join(work.path, "links-liar");
    const spec = inTreeSdist("honest", "1.0", { metadataVersion: "2.2" });
    spec.files["PKG-INFO"] = pkgInfo("requests", "2.99", { metadataVersion: "2.2" });
    await writeSdist(spec, liarLinks);
    const dir = await project("uses-liar", ["honest"]);
    const r = await cli(["lock", "--project", dir, "--no-index", "--find-links", liarLinks], join(work.path, "store-liar"));
    // Like any release with broken metadata, the version is skipped with the reason, and nothing else is left.
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("skipping honest 1.0: honest-1.0.tar.gz/PKG-INFO says requests 2.99, but the sdist is honest 1.0");
  });

  it("builds byte-identical wheels from the same sdist in two stores", async () => {
    const dir = await project("twice", ["helper"]);
    const shas: string[] = [];
    for (const store of ["store-b", "store-c"]) {
      await rm(join(dir, "pylock.toml"), { force: true });
      const r = await cli(["lock", "--project", dir, ...LOCK_FLAGS()], join(work.path, store));
      expect(r.code, r.stderr).toBe(0);
      const lock = parsePylock(await readFile(join(dir, "pylock.toml"), "utf8"));
      shas.push((lock.packages[0].tool as { pystore: { built: { hashes: { sha256: string } }[] } }).pystore.built[0].hashes.sha256);
    }
    expect(shas[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(shas[1]).toBe(shas[0]);
  });

  it("rebuilds a locked wheel the store lacks, exactly as locked", async () => {
    const dir = await project("rebuilt", ["helper"]);
    const first = await cli(["lock", "--project", dir, ...LOCK_FLAGS()], join(work.path, "store-d"));
    expect(first.code, first.stderr).toBe(0);
    const fresh = join(work.path, "store-e");
    const fetched = await cli(["fetch", "--project", dir], fresh);
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stderr).toContain("is not in the store: building it from helper-1.0.tar.gz as locked");
    const info = await cli(["store", "ls"], fresh);
    expect(info.stdout).toContain("helper");
  });

  it("builds a `name @ file:///…/x.tar.gz` requirement, and fetch rebuilds it from that URL", async () => {
    const url = `file://${join(links, "helper-1.0.tar.gz")}`;
    const lockFile = join(work.path, "direct.pylock.toml");
    const r = await cli(["lock", `helper @ ${url}`, "--no-index", "-o", lockFile], join(work.path, "store-direct"));
    expect(r.code, r.stderr).toBe(0);
    const lock = parsePylock(await readFile(lockFile, "utf8"));
    // Below the lock's directory, so recorded by relative path (PEP 751), as local wheels are.
    expect(lock.packages[0].sdist).toMatchObject({ name: "helper-1.0.tar.gz", path: "links/helper-1.0.tar.gz" });
    const fetched = await cli(["fetch", "-l", lockFile], join(work.path, "store-direct-2"));
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stderr).toContain("building it from helper-1.0.tar.gz as locked");
    const off = await cli(["lock", `helper @ ${url}`, "--no-index", "--no-build", "-o", lockFile], join(work.path, "store-direct"));
    expect(off.code).toBe(4);
    expect(off.stderr).toContain("is not a wheel, and building is off for it");
  });

  it("lock --check-builds builds again and compares bytes: a reproducible build passes, a random one fails", async () => {
    const dir = await project("checked", ["helper"]);
    const store = join(work.path, "store-check");
    expect((await cli(["lock", "--project", dir, ...LOCK_FLAGS()], store)).code).toBe(0);
    const checked = await cli(["lock", "--project", dir, ...LOCK_FLAGS(["--check-builds"])], store);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stderr).toContain("helper-1.0-py3-none-any.whl: rebuilt byte for byte");

    const randomLinks = join(work.path, "links-random");
    await writeSdist(inTreeSdist("dice", "1.0", { nondeterministic: true }), randomLinks);
    const diceProject = await project("uses-dice", ["dice"]);
    const flags = ["lock", "--project", diceProject, "--no-index", "--find-links", randomLinks];
    expect((await cli(flags, store)).code).toBe(0);
    const differs = await cli([...flags, "--check-builds"], store);
    expect(differs.code).toBe(6);
    expect(differs.stderr).toMatch(
      /dice-1\.0\.tar\.gz built again gives dice-1\.0-py3-none-any\.whl with sha256 [0-9a-f]{64}, not [0-9a-f]{64}/,
    );
  });

  it("keeps NO_MATCHING_WHEEL with --no-build", async () => {
    const dir = await project("no-build", ["helper"]);
    const r = await cli(["lock", "--project", dir, ...LOCK_FLAGS(["--no-build"])], join(work.path, "store-f"));
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("no wheel of helper");
    expect(r.stderr).toContain("only sdists");
  });

  it("shows the tail of the build log when the backend fails", async () => {
    const failing = join(work.path, "links-fail");
    await writeSdist(inTreeSdist("broken", "1.0", { fail: "error: the compiler exploded" }), failing);
    const dir = await project("uses-broken", ["broken"]);
    const r = await cli(["lock", "--project", dir, "--no-index", "--find-links", failing], join(work.path, "store-g"));
    expect(r.code).toBe(9);
    expect(r.stderr).toContain("error: building broken-1.0.tar.gz failed: build_wheel exited with 1");
    expect(r.stderr).toContain("error: the compiler exploded");
    expect(r.stderr).toContain("compiling step 39");
    expect(r.stderr).not.toContain("compiling step 2\n");
    expect(r.stderr).toMatch(/build-logs\/[0-9a-f]{16}-broken-1\.0\.tar\.gz\.log/);
  });

  it("builds a legacy .zip sdist the same way, and refuses a hostile one", async () => {
    const zipLinks = join(work.path, "links-zip");
    await writeZipSdist(inTreeSdist("zipped", "1.0", { module: "VALUE = 'zipped works'\n" }), zipLinks);
    const dir = await project("uses-zipped", ["zipped"]);
    const store = join(work.path, "store-zip");
    const locked = await cli(["lock", "--project", dir, "--no-index", "--find-links", zipLinks], store);
    expect(locked.code, locked.stderr).toBe(0);
    expect(await readFile(join(dir, "pylock.toml"), "utf8")).toContain('name = "zipped-1.0.zip"');
    const bundled = await cli(["bundle", "--project", dir, "-o", join(dir, "out")], store);
    expect(bundled.code, bundled.stderr).toBe(0);
    const run = spawnSync(join(dir, "out", "bin", "uses-zipped"), [], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin", PYSTORE_PYTHON: PYTHON },
    });
    expect(run.stdout).toContain("zipped zipped works");

    const badLinks = join(work.path, "links-zip-bad");
    await writeZipSdist(inTreeSdist("zipbad", "1.0"), badLinks, [{ name: "zipbad-1.0/link", data: "/etc/passwd", mode: 0o120777 }]);
    const bad = await project("uses-zipbad", ["zipbad"]);
    const refused = await cli(["lock", "--project", bad, "--no-index", "--find-links", badLinks], join(work.path, "store-zip-bad"));
    expect(refused.code).toBe(9);
    expect(refused.stderr).toContain('zipbad-1.0.zip: refusing member "zipbad-1.0/link"');
    expect(refused.stderr).not.toContain("internal error");
  });

  it("builds with the store read-only: a backend writing into the store it runs in leaves nothing there", async () => {
    const escLinks = join(work.path, "links-escape");
    await writeSdist(inTreeSdist("escapee", "1.0", { escape: true }), escLinks);
    const dir = await project("uses-escapee", ["escapee"]);
    const store = join(work.path, "store-escape");
    for (const network of [[], ["--build-network"]]) {
      const locked = await cli(["lock", "--project", dir, "--no-index", "--find-links", escLinks, ...network], store);
      expect(locked.code, locked.stderr).toBe(0);
      expect(existsSync(join(store, "planted.txt"))).toBe(false);
      expect(existsSync(join(store, "wheels", "planted.txt"))).toBe(false);
      const log = readdirSync(join(store, "build-logs")).find((f) => f.includes("escapee"));
      expect(readFileSync(join(store, "build-logs", log!), "utf8")).toMatch(/could not plant .*Read-only file system/);
      await rm(join(store, "build-logs"), { recursive: true, force: true });
      await rm(join(dir, "pylock.toml"), { force: true });
    }
    expect((await cli(["store", "verify"], store)).code).toBe(0);
  });

  it("builds without the network: a backend reaching a loopback server fails, unless --build-network", async () => {
    const server: Server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const netLinks = join(work.path, "links-net");
      await writeSdist(inTreeSdist("netty", "1.0", { connect: `127.0.0.1:${port}` }), netLinks);
      const dir = await project("uses-netty", ["netty"]);
      const flags = ["lock", "--project", dir, "--no-index", "--find-links", netLinks];
      const isolated = await cli(flags, join(work.path, "store-h"));
      expect(isolated.code).toBe(9);
      expect(isolated.stderr).toContain("building netty-1.0.tar.gz failed");
      expect(isolated.stderr).toMatch(/Network is unreachable|Connection refused|ConnectionRefusedError|OSError/);
      const open = await cli([...flags, "--build-network"], join(work.path, "store-h"));
      expect(open.code, open.stderr).toBe(0);
      const lock = await readFile(join(dir, "pylock.toml"), "utf8");
      expect(lock).toContain("build-network = true");
    } finally {
      server.close();
    }
  });
});
