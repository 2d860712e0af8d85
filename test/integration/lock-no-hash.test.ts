// Indexes that publish no hashes (a static nginx tree, a local index directory, a find-links page): `lock`
// hashes the wheels it records, as pip and uv do, and `fetch` checks the bytes against that. A hash the page
// does give must still match, and every failure exits with the code of its cause.

import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNginxIndex, type NginxIndex } from "../../fixtures/nginx.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { REPO_ROOT, runCli } from "../helpers/cli.js";

let work: string;
let app: BuiltWheel;
let dep: BuiltWheel;
let nginx: NginxIndex;
const cleanups: (() => Promise<void>)[] = [];

const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

/** Rewrite every project page under `simple` with `edit` (e.g. dropping the `#sha256=` fragments). */
async function editPages(simple: string, edit: (html: string) => string): Promise<void> {
  for (const name of await readdir(simple, { withFileTypes: true })) {
    if (!name.isDirectory()) continue;
    const page = join(simple, name.name, "index.html");
    await writeFile(page, edit(await readFile(page, "utf8")));
  }
}

const withoutHashes = (html: string) => html.replace(/#sha256=[0-9a-f]{64}/g, "");

function env(name: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: join(work, "home"),
    NO_COLOR: "1",
    PYSTORE_STORE: join(work, `store-${name}`),
    PYSTORE_RETRIES: "0",
  };
}

async function lockIn(name: string, args: string[]) {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  const r = await runCli(["lock", "no-hash-app", ...TARGET, "-o", join(dir, "pylock.toml"), ...args], {
    env: env(name),
    cwd: dir,
    inheritEnv: false,
  });
  return { ...r, dir, lockPath: join(dir, "pylock.toml") };
}

async function lockedWheels(lockPath: string): Promise<Record<string, { sha256?: string; size?: number }>> {
  const lock = parsePylock(await readFile(lockPath, "utf8"), lockPath);
  return Object.fromEntries(lock.packages.flatMap((p) => p.wheels ?? []).map((w) => [w.name, { sha256: w.hashes.sha256, size: w.size }]));
}

function expectHashesOfTheBytes(wheels: Record<string, { sha256?: string; size?: number }>): void {
  expect(Object.keys(wheels).sort()).toEqual([app.filename, dep.filename].sort());
  expect(wheels[app.filename]).toEqual({ sha256: app.sha256, size: app.size });
  expect(wheels[dep.filename]).toEqual({ sha256: dep.sha256, size: dep.size });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-no-hash-"));
  app = await buildWheel({ name: "no-hash-app", version: "1.0", requiresDist: ["no-hash-dep"] }, join(work, "wheels"));
  dep = await buildWheel({ name: "no_hash_dep", version: "2.0" }, join(work, "wheels"));
  nginx = await startNginxIndex([app, dep]);
  await editPages(join(nginx.root, "simple"), withoutHashes);
}, 60_000);

afterAll(async () => {
  await nginx?.close();
  for (const cleanup of cleanups) await cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

it("the CLI is built", () => {
  expect(existsSync(join(REPO_ROOT, "dist/commands/lock.js"))).toBe(true);
});

describe("an index page without #sha256=", () => {
  it("lock records the sha256 of the downloaded bytes, and fetch stores the wheels", async () => {
    const page = await readFile(join(nginx.root, "simple", "no-hash-app", "index.html"), "utf8");
    expect(page).not.toContain("#sha256=");
    const r = await lockIn("nginx", ["--index-url", nginx.url]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expectHashesOfTheBytes(await lockedWheels(r.lockPath));

    const fetched = await runCli(["fetch", "-l", r.lockPath, "--json"], { env: env("nginx"), cwd: r.dir, inheritEnv: false });
    expect(fetched.stderr).not.toMatch(/error/i);
    expect(fetched.code).toBe(0);
    const verify = await runCli(["store", "verify"], { env: env("nginx"), cwd: r.dir, inheritEnv: false });
    expect(verify.code, verify.stderr).toBe(0);
  });

  it("a local index directory and a find-links page without hashes lock the same way", async () => {
    const local = join(work, "local-index");
    await cp(nginx.root, local, { recursive: true });
    const viaDir = await lockIn("local-index", ["--index-url", pathToFileURL(join(local, "simple")).toString()]);
    expect(viaDir.stderr).not.toMatch(/error/i);
    expect(viaDir.code).toBe(0);
    expectHashesOfTheBytes(await lockedWheels(viaDir.lockPath));

    const links = join(local, "links.html");
    await writeFile(
      links,
      `<html><body>${[app, dep].map((w) => `<a href="files/${w.filename}">${w.filename}</a>`).join("\n")}</body></html>\n`,
    );
    const viaPage = await lockIn("find-links-page", ["--no-index", "--find-links", links]);
    expect(viaPage.stderr).not.toMatch(/error/i);
    expect(viaPage.code).toBe(0);
    expectHashesOfTheBytes(await lockedWheels(viaPage.lockPath));
  });

  it("a hash the page does give must match: another algorithm at lock, sha256 at fetch (integrity)", async () => {
    const wrong = await startNginxIndex([app, dep]);
    cleanups.push(() => wrong.close());
    const simple = join(wrong.root, "simple");
    await editPages(simple, (html) => withoutHashes(html).replace(`${dep.filename}"`, `${dep.filename}#md5=${"0".repeat(32)}"`));
    const md5 = await lockIn("wrong-md5", ["--index-url", wrong.url]);
    expect(md5.code, md5.stderr).toBe(EXIT.integrity);
    expect(md5.stderr).toContain(`${dep.filename}: md5 mismatch: expected ${"0".repeat(32)}, got `);
    expect(existsSync(md5.lockPath)).toBe(false);

    await editPages(simple, (html) => html.replace(/#md5=0+/, `#sha256=${"0".repeat(64)}`));
    const sha = await lockIn("wrong-sha256", ["--index-url", wrong.url]);
    expect(sha.code, sha.stderr).toBe(0);
    expect((await lockedWheels(sha.lockPath))[dep.filename].sha256).toBe("0".repeat(64));
    const fetched = await runCli(["fetch", "-l", sha.lockPath], { env: env("wrong-sha256"), cwd: sha.dir, inheritEnv: false });
    expect(fetched.code, fetched.stderr).toBe(EXIT.integrity);
    expect(fetched.stderr).toContain("sha256 mismatch");
  });
});
