// `pystore store export` / `store import`: deterministic closure archives, verified before anything is added.

import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { create, extract, list as listTar } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { runCli } from "../helpers/cli.js";
import { buildWheels, SAMPLE_SPECS } from "../store/helpers.js";
import { tempDir } from "../helpers/temp.js";

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];
let source = "";

const cli = (store: string, ...args: string[]) => runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store } });

async function members(archive: string): Promise<string[]> {
  const names: string[] = [];
  await listTar({ file: archive, onReadEntry: (e) => names.push(e.path) });
  return names;
}

function lockFor(selected: BuiltWheel[]): string {
  const packages = selected.map((w) => {
    const [name, version] = w.filename.split("-");
    return `[[packages]]\nname = "${name.toLowerCase().replace(/_/g, "-")}"\nversion = "${version}"\nwheels = [{ name = "${w.filename}", url = "https://example.org/${w.filename}", size = ${w.size}, hashes = { sha256 = "${w.sha256}" } }]\n`;
  });
  return `lock-version = "1.0"\ncreated-by = "test"\n\n${packages.join("\n")}`;
}

beforeAll(async () => {
  work = await tempDir("export");
  wheels = await buildWheels(SAMPLE_SPECS, join(work.path, "wheels"));
  source = join(work.path, "source-store");
  expect((await cli(source, "store", "add", ...wheels.map((w) => w.path))).code).toBe(0);
});
afterAll(() => work.cleanup());

describe("store export", () => {
  it("exports a name with its stored dependencies, deterministically", async () => {
    const a = join(work.path, "a.tar");
    const b = join(work.path, "b.tar");
    const first = await cli(source, "store", "export", "alpha", "-o", a);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect((await cli(source, "store", "export", "alpha", "-o", b)).code).toBe(0);
    expect(await readFile(a)).toEqual(await readFile(b));
    const names = await members(a);
    // alpha needs beta>=2 (not beta 1.0); gamma is behind an extra.
    const expected = [wheels[0], wheels[1]].sort((x, y) => (x.sha256 < y.sha256 ? -1 : 1));
    expect(names).toEqual(["manifest.json", ...expected.map((w) => `wheels/${w.sha256}/${w.filename}`)]);
    const manifest = JSON.parse(await readFile(a, "utf8").then((t) => t.slice(t.indexOf("{"), t.indexOf("\n}\n") + 2)));
    expect(manifest.format).toBe("pystore-closure");
    expect(manifest.members).toEqual(expected.map((w) => ({ path: `wheels/${w.sha256}/${w.filename}`, sha256: w.sha256, size: w.size })));
  });

  it("exports exactly the wheels a lock names, and refuses a lock whose wheels are not stored", async () => {
    const lock = join(work.path, "pylock.toml");
    await writeFile(lock, lockFor([wheels[2], wheels[3]]));
    const out = join(work.path, "lock.tar");
    const run = await cli(source, "store", "export", "-l", lock, "-o", out, "--json");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.members.map((m: { sha256: string }) => m.sha256).sort()).toEqual([wheels[2].sha256, wheels[3].sha256].sort());

    const otherLock = join(work.path, "other-pylock.toml");
    await writeFile(otherLock, lockFor([wheels[0]]).replace(wheels[0].sha256, "f".repeat(64)));
    const missing = await cli(source, "store", "export", "-l", otherLock, "-o", join(work.path, "never.tar"));
    expect(missing.code).toBe(7);
    expect(missing.stderr).toContain(wheels[0].filename);
    expect(existsSync(join(work.path, "never.tar"))).toBe(false);
  });
});

describe("store import", () => {
  it("imports a closure into another store; a second import adds nothing", async () => {
    const archive = join(work.path, "all.tar");
    expect((await cli(source, "store", "export", "alpha", "gamma", "zope.interface", "-o", archive)).code).toBe(0);
    const target = join(work.path, "target-store");
    const run = await cli(target, "store", "import", archive);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("imported 4 new wheel(s); 0 already present");
    const listed = JSON.parse((await cli(target, "store", "ls", "--json")).stdout);
    expect(listed.map((e: { filename: string }) => e.filename).sort()).toEqual(
      [wheels[0], wheels[1], wheels[3], wheels[4]].map((w) => w.filename).sort(),
    );
    expect((await cli(target, "store", "verify")).code).toBe(0);
    const again = await cli(target, "store", "import", archive);
    expect(again.stdout).toContain("imported 0 new wheel(s); 4 already present");
    // The same closure exported from the importing store is the same bytes.
    const reexport = join(work.path, "reexport.tar");
    expect((await cli(target, "store", "export", "alpha", "gamma", "zope.interface", "-o", reexport)).code).toBe(0);
    expect(await readFile(reexport)).toEqual(await readFile(archive));
  });

  it("a tampered archive adds nothing and names the bad member", async () => {
    const archive = join(work.path, "tamper.tar");
    expect((await cli(source, "store", "export", "beta", "-o", archive)).code).toBe(0);
    const bytes = await readFile(archive);
    const beta = wheels[1];
    // Flip one byte inside beta 2.1's data: find its bytes in the tar and change one.
    const at = bytes.indexOf(beta.bytes.subarray(0, 64));
    expect(at).toBeGreaterThan(0);
    bytes[at + 100] ^= 0xff;
    const bad = join(work.path, "tampered.tar");
    await writeFile(bad, bytes);
    const target = join(work.path, "tamper-store");
    const run = await cli(target, "store", "import", bad);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain(`wheels/${beta.sha256}/${beta.filename}`);
    expect(run.stderr).toContain("nothing was imported");
    expect(JSON.parse((await cli(target, "store", "ls", "--json")).stdout)).toEqual([]);
  });

  it("refuses an archive whose manifest does not list a member", async () => {
    const archive = join(work.path, "extra.tar");
    expect((await cli(source, "store", "export", "gamma", "-o", archive)).code).toBe(0);
    const staging = join(work.path, "extra-staging");
    await mkdir(staging, { recursive: true });
    await extract({ file: archive, cwd: staging });
    const beta = wheels[1];
    await mkdir(join(staging, "wheels", beta.sha256), { recursive: true });
    await copyFile(beta.path, join(staging, "wheels", beta.sha256, beta.filename));
    const smuggled = join(work.path, "smuggled.tar");
    await create({ file: smuggled, cwd: staging }, ["manifest.json", "wheels"]);
    const target = join(work.path, "smuggle-store");
    const run = await cli(target, "store", "import", smuggled);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain("is not listed in the manifest");
    expect(JSON.parse((await cli(target, "store", "ls", "--json")).stdout)).toEqual([]);
  });
});
