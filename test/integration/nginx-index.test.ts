// The real nginx (Debian's package) serving a static PEP 503 tree with no .metadata files: `index show`
// and `lock` read core metadata through Range requests (206, never a whole wheel), then `fetch` downloads
// the wheels (200) into the store and `store verify` finds them intact.

import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nginxBinary, startNginxIndex, type NginxIndex } from "../../fixtures/nginx.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { REPO_ROOT, runCli } from "../helpers/cli.js";

let work: string;
let wheels: BuiltWheel[];
let nginx: NginxIndex;
let env: NodeJS.ProcessEnv;
const lockPath = () => join(work, "pylock.toml");

/** Access-log lines for the wheel files ("GET /files/x.whl HTTP/1.1 206 \"bytes=-65557\""). */
async function wheelRequests(): Promise<{ file: string; status: number; range: string }[]> {
  const out: { file: string; status: number; range: string }[] = [];
  for (const line of await nginx.accessLog()) {
    const m = /^(\S+) \/files\/(\S+\.whl) \S+ (\d{3}) "(.*)"$/.exec(line);
    if (m) out.push({ file: m[2], status: Number(m[3]), range: m[4] });
  }
  return out;
}

beforeAll(async () => {
  // Required, not skipped: CI installs nginx, and a silent skip would hide a broken Range path.
  try {
    nginxBinary();
  } catch (error) {
    throw new Error(`this test needs the real nginx: ${(error as Error).message}`);
  }
  work = await mkdtemp(join(tmpdir(), "pystore-nginx-"));
  // Incompressible padding makes each wheel larger than the first Range read, so a whole-file GET would show.
  const pad = () => ({ "padding/blob.bin": randomBytes(200_000) });
  wheels = [
    await buildWheel(
      { name: "web-app", version: "1.0", requiresDist: ["helper-lib>=2"], files: { "web_app/__init__.py": "", ...pad() } },
      join(work, "wheels"),
    ),
    await buildWheel({ name: "helper_lib", version: "1.0", files: { "helper_lib/__init__.py": "", ...pad() } }, join(work, "wheels")),
    await buildWheel({ name: "helper_lib", version: "2.0", files: { "helper_lib/__init__.py": "", ...pad() } }, join(work, "wheels")),
  ];
  nginx = await startNginxIndex(wheels, { metadataFiles: false });
  env = { PATH: process.env.PATH, HOME: join(work, "home"), NO_COLOR: "1", PYSTORE_STORE: join(work, "store") };
}, 60_000);

afterAll(async () => {
  await nginx?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

it("the CLI is built", () => {
  expect(existsSync(join(REPO_ROOT, "dist/commands/lock.js"))).toBe(true);
});

describe("a static index served by nginx, without .metadata files", () => {
  it("index show lists the files and says no PEP 658 metadata is advertised", async () => {
    const r = await runCli(["index", "show", "helper-lib", "--index-url", nginx.url, "--json"], { env, inheritEnv: false });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const shown = JSON.parse(r.stdout) as {
      indexes: string[];
      files: { filename: string; coreMetadata: unknown; hashes: Record<string, string> }[];
    };
    expect(shown.indexes).toEqual([nginx.url]);
    expect(shown.files.map((f) => f.filename)).toEqual([wheels[2].filename, wheels[1].filename]);
    expect(shown.files.map((f) => f.coreMetadata)).toEqual([null, null]);
    expect(shown.files[0].hashes.sha256).toBe(wheels[2].sha256);
  });

  it("lock reads metadata through Range requests (206) and never downloads a whole wheel", async () => {
    const before = (await wheelRequests()).length;
    const r = await runCli(
      ["lock", "web-app", "--index-url", nginx.url, "--platform", "manylinux_x86_64", "--python", "3.11", "-o", lockPath()],
      { env, cwd: work, inheritEnv: false },
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const lock = parsePylock(await readFile(lockPath(), "utf8"), lockPath());
    expect(lock.packages.map((p) => `${p.name}==${p.version}`)).toEqual(["helper-lib==2.0", "web-app==1.0"]);
    expect(
      lock.packages
        .flatMap((p) => p.wheels ?? [])
        .map((w) => w.hashes.sha256)
        .sort(),
    ).toEqual([wheels[0].sha256, wheels[2].sha256].sort());

    const during = (await wheelRequests()).slice(before);
    // Only the versions the resolver chose need metadata; each of them was read by ranges.
    for (const wheel of [wheels[0], wheels[2]]) {
      const hits = during.filter((h) => h.file === wheel.filename);
      expect(hits.length, `${wheel.filename} requests: ${JSON.stringify(during)}`).toBeGreaterThan(0);
      expect(hits.every((h) => h.status === 206 && /^bytes=/.test(h.range))).toBe(true);
    }
    expect(
      during.filter((h) => h.status !== 206 || h.range === "-"),
      JSON.stringify(during),
    ).toEqual([]);
  });

  it("fetch downloads the wheels in full (200) into the store, and store verify is clean", async () => {
    const before = (await wheelRequests()).length;
    const r = await runCli(["fetch", "-l", lockPath(), "--json"], { env, cwd: work, inheritEnv: false });
    expect(r.code, r.stderr).toBe(0);
    const fetched = JSON.parse(r.stdout) as { wheels: { filename: string; sha256: string; path: string }[] };
    expect(fetched.wheels.map((w) => w.filename)).toEqual([wheels[2].filename, wheels[0].filename].sort());
    for (const w of fetched.wheels) expect((await readFile(w.path)).length).toBe(wheels.find((b) => b.filename === w.filename)!.size);

    const during = (await wheelRequests()).slice(before);
    expect(during.map((h) => `${h.file} ${h.status} ${h.range}`).sort()).toEqual(
      [wheels[0], wheels[2]].map((w) => `${w.filename} 200 -`).sort(),
    );

    const verify = await runCli(["store", "verify", "--json"], { env, cwd: work, inheritEnv: false });
    expect(verify.code, verify.stderr).toBe(0);
    const report = JSON.parse(verify.stdout) as { checked: number; problems: unknown[] };
    expect(report.checked).toBe(2);
    expect(report.problems).toEqual([]);
  });
});
