// `pystore store …` through the real CLI (node bin/pystore, built dist/) on fixture wheels and Debian's real wheels.

import { existsSync, readdirSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { openStore } from "../../src/store/store.js";
import { runCli } from "../helpers/cli.js";
import { buildWheels, SAMPLE_SPECS } from "../store/helpers.js";
import { tempDir } from "../helpers/temp.js";

// dist/ is built by `npm test`'s pretest (or `npx tsc -p .` by hand) before these run.
const DEBIAN_WHEELS = "/usr/share/python-wheels";
const debianWheels = existsSync(DEBIAN_WHEELS)
  ? readdirSync(DEBIAN_WHEELS)
      .filter((f) => f.endsWith(".whl"))
      .map((f) => join(DEBIAN_WHEELS, f))
  : [];

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];
let server: IndexServer | undefined;

const cli = (store: string, ...args: string[]) => runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store } });

beforeAll(async () => {
  work = await tempDir("store-cli");
  wheels = await buildWheels(SAMPLE_SPECS, join(work.path, "wheels"));
});
afterAll(async () => {
  await server?.close();
  await work.cleanup();
});

async function flipByte(path: string, offset = 20): Promise<void> {
  await chmod(path, 0o644);
  const bytes = await readFile(path);
  bytes[offset] ^= 0x01;
  await writeFile(path, bytes);
}

describe("pystore store add / ls / info / du / path", () => {
  it("adds Debian's real wheels and fixture wheels, each once", async () => {
    const store = join(work.path, "s-basic");
    const first = await cli(store, "store", "add", ...debianWheels, ...wheels.map((w) => w.path));
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split("\n")).toHaveLength(debianWheels.length + wheels.length);
    expect(first.stdout).not.toContain("present");
    const again = await cli(store, "store", "add", wheels[0].path);
    expect(again.stdout).toMatch(/^present [0-9a-z]{32}-alpha-1\.0-py3-none-any\n$/);

    const ls = await cli(store, "store", "ls", "--json");
    expect(ls.code).toBe(0);
    const listed = JSON.parse(ls.stdout) as { name: string; sha256: string; path: string; size: number }[];
    expect(listed).toHaveLength(debianWheels.length + wheels.length);
    expect(listed.map((e) => e.name)).toEqual([...listed.map((e) => e.name)].sort());
    for (const w of wheels) expect(listed.find((e) => e.sha256 === w.sha256)?.size).toBe(w.size);
    if (debianWheels.some((p) => p.includes("/pip-"))) {
      const pip = listed.find((e) => e.name === "pip")!;
      expect(await readFile(pip.path)).toEqual(await readFile(debianWheels.find((p) => p.includes("/pip-"))!));
    }

    const info = await cli(store, "store", "info", "Zope_Interface", "--json");
    expect(info.code).toBe(0);
    const [zope] = JSON.parse(info.stdout);
    expect(zope.version).toBe("5.4.0");
    expect(zope.metadata).toContain("Name: Zope.Interface");

    const missing = await cli(store, "store", "info", "nope");
    expect(missing.code).toBe(7);
    expect(missing.stderr).toContain('nothing in the store matches "nope"');

    const du = await cli(store, "store", "du", "--json");
    const usage = JSON.parse(du.stdout);
    expect(usage.entries).toBe(listed.length);
    expect(usage.wheelBytes).toBe(listed.reduce((s, e) => s + e.size, 0));
    expect(usage.projects.beta.entries).toBe(2);

    // Human output: aligned columns, sorted like --json.
    const human = await cli(store, "store", "ls");
    const lines = human.stdout.trim().split("\n");
    expect(lines).toHaveLength(listed.length);
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(listed.map((e) => e.name));
    expect(lines.find((l) => l.startsWith("beta "))).toMatch(/^beta\s+1\.0\s+beta-1\.0-py3-none-any\.whl\s+\d+ B\s+[0-9a-f]{16}$/);
    const text = await cli(store, "store", "info", "alpha");
    expect(text.stdout).toContain("requires-python: >=3.8");
    expect(text.stdout).toMatch(/dependencies:\n {4}beta ?>= ?2\n/);
    expect((await cli(store, "store", "du")).stdout).toMatch(/^total: \d+ wheel\(s\) \(.*\) and \d+ unpacked tree\(s\) \(.*\), .* in /m);

    const path = await cli(store, "store", "path");
    expect(path.stdout.trim()).toBe(store);
    const flag = await runCli(["--store", "other", "store", "path"], { cwd: work.path, env: { PYSTORE_STORE: store } });
    expect(flag.stdout.trim()).toBe(join(work.path, "other"));
  });

  it("refuses a non-wheel and a store of an unknown format version", async () => {
    const store = join(work.path, "s-format");
    const bad = join(work.path, "junk-1.0-py3-none-any.whl");
    await writeFile(bad, "junk");
    const refused = await cli(store, "store", "add", bad);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("junk-1.0-py3-none-any.whl");

    const db = new Database(join(store, "store.db"));
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'format_version'").run();
    db.close();
    const ls = await cli(store, "store", "ls");
    expect(ls.code).toBe(7);
    expect(ls.stderr).toMatch(/format version 99/);
    expect(ls.stderr).toMatch(/^hint: /m);
  });
});

describe("pystore store verify", () => {
  it("reports a flipped byte with exit 6 and repairs it from the recorded origin", async () => {
    const storeDir = join(work.path, "s-verify");
    server = await startIndexServer({ wheels });
    const origin = new URL(server.url).origin;
    const store = await openStore({ dir: storeDir });
    const [alpha, beta] = [wheels[0], wheels[1]];
    const alphaEntry = await store.addWheelFile(alpha.path, { originUrl: `${origin}/files/${alpha.filename}`, index: server.url });
    const betaEntry = await store.addWheelFile(beta.path);
    store.close();

    expect((await cli(storeDir, "store", "verify")).code).toBe(0);
    await flipByte(alphaEntry.path);
    await flipByte(betaEntry.path);

    const report = await cli(storeDir, "store", "verify", "--json");
    expect(report.code).toBe(6);
    const parsed = JSON.parse(report.stdout);
    expect(parsed.problems.map((p: { entryName: string }) => p.entryName).sort()).toEqual(
      [alphaEntry.entryName, betaEntry.entryName].sort(),
    );
    expect(report.stderr).toMatch(/^error: 2 stored wheels are damaged/m);

    const repaired = await cli(storeDir, "store", "verify", "--repair");
    // alpha has an origin and is repaired; beta came from a local file and cannot be.
    expect(repaired.code).toBe(6);
    expect(repaired.stdout).toContain(`repaired ${alphaEntry.entryName}`);
    expect(repaired.stdout).toMatch(new RegExp(`corrupted ${betaEntry.entryName} \\(no origin URL`));
    expect(await readFile(alphaEntry.path)).toEqual(alpha.bytes);
    expect(server.requests.some((r) => r.path === `/files/${alpha.filename}`)).toBe(true);

    // Re-adding the damaged local wheel rewrites its bytes, and says so.
    const readd = await cli(storeDir, "store", "add", beta.path);
    expect(readd.code).toBe(0);
    expect(readd.stdout).toBe(`repaired ${betaEntry.entryName}\n`);
    expect(await readFile(betaEntry.path)).toEqual(beta.bytes);
    const readdAgain = await cli(storeDir, "store", "add", beta.path, "--json");
    expect(JSON.parse(readdAgain.stdout).map((r: { status: string }) => r.status)).toEqual(["present"]);
    const clean = await cli(storeDir, "store", "verify");
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("all intact");

    // An unreachable origin: the damage is reported (exit 6) and the bad file is left for a later repair.
    await server.close();
    server = undefined;
    await flipByte(alphaEntry.path);
    const offline = await cli(storeDir, "store", "verify", "--repair", "--json");
    expect(offline.code).toBe(6);
    const [problem] = JSON.parse(offline.stdout).problems;
    expect(problem.repaired).toBe(false);
    expect(problem.repairError).toMatch(/^re-fetch from http:\/\/127\.0\.0\.1:\d+\/files\/alpha-1\.0-py3-none-any\.whl failed/);
    expect(await readFile(alphaEntry.path)).not.toEqual(alpha.bytes);
    const readdAlpha = await cli(storeDir, "store", "add", alpha.path, "--json");
    expect(readdAlpha.code).toBe(0);
    expect(JSON.parse(readdAlpha.stdout)).toMatchObject([{ status: "repaired", sha256: alpha.sha256 }]);
    const fixed = await cli(storeDir, "store", "verify");
    expect(fixed.code).toBe(0);
  });
});

describe("pystore store roots / gc", () => {
  it("keeps what live roots reach, flags stale roots, and deletes the rest", async () => {
    const storeDir = join(work.path, "s-gc");
    const store = await openStore({ dir: storeDir });
    const entries = [];
    for (const w of wheels) entries.push(await store.addWheelFile(w.path));
    const lock = join(work.path, "gc-pylock.toml");
    await writeFile(lock, `# lock\n${entries[0].sha256}\n${entries[1].sha256}\n`);
    store.addRoot("lock", lock, [entries[0].sha256, entries[1].sha256]);
    const staleLock = join(work.path, "gone-pylock.toml");
    store.addRoot("lock", staleLock, [entries[2].sha256]);
    const rewritten = join(work.path, "rewritten-pylock.toml");
    await writeFile(rewritten, "no hashes here\n");
    store.addRoot("lock", rewritten, [entries[3].sha256]);
    store.close();

    const text = (await cli(storeDir, "store", "roots")).stdout;
    expect(text).toMatch(
      new RegExp(`^lock\\s+${staleLock.replace(/[.]/g, "\\.")}\\s+1 wheel\\(s\\)\\s+stale: path no longer exists$`, "m"),
    );
    expect(text).toMatch(/gc-pylock\.toml\s+2 wheel\(s\)\s+live$/m);
    const roots = JSON.parse((await cli(storeDir, "store", "roots", "--json")).stdout);
    expect(roots.map((r: { path: string; stale: boolean }) => [r.path, r.stale])).toEqual([
      [lock, false],
      [staleLock, true],
      [rewritten, true],
    ]);

    // Fresh entries are inside the default grace period: nothing goes, and gc says why.
    const graced = await cli(storeDir, "store", "gc", "--json");
    const gracedJson = JSON.parse(graced.stdout);
    expect(gracedJson.removed).toEqual([]);
    expect(gracedJson.keptYoung).toBe(wheels.length - 2);
    expect(gracedJson.kept).toBe(wheels.length);
    expect(gracedJson.graceSeconds).toBe(3600);
    const gracedText = await cli(storeDir, "store", "gc", "--dry-run", "--grace", "600");
    expect(gracedText.stdout).toBe(
      `would remove 0 wheel(s), 0 B; kept ${wheels.length} (${wheels.length - 2} unrooted, kept because younger than --grace 600s)\n`,
    );

    const dry = JSON.parse((await cli(storeDir, "store", "gc", "--dry-run", "--grace", "0", "--json")).stdout);
    expect(dry.removed.map((r: { sha256: string }) => r.sha256).sort()).toEqual(
      entries
        .slice(2)
        .map((e) => e.sha256)
        .sort(),
    );
    expect(JSON.parse((await cli(storeDir, "store", "ls", "--json")).stdout)).toHaveLength(wheels.length);

    const gc = await cli(storeDir, "store", "gc", "--grace", "0");
    expect(gc.code).toBe(0);
    expect(gc.stdout).toContain(`removed ${wheels.length - 2} wheel(s)`);
    expect(gc.stdout).not.toContain("younger than");
    const left = JSON.parse((await cli(storeDir, "store", "ls", "--json")).stdout);
    expect(left.map((e: { sha256: string }) => e.sha256).sort()).toEqual([entries[0].sha256, entries[1].sha256].sort());
    for (const e of entries.slice(2)) expect(existsSync(e.path)).toBe(false);
    expect((await cli(storeDir, "store", "verify")).code).toBe(0);
  });
});
