// Hostile and malformed wheels reaching the store (store add, fetch from an index for a bundle, store import)
// through the real CLI: a typed error naming the wheel, the documented exit code, and the store left exactly as it was.

import { createHash } from "node:crypto";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { create as createTar } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { lockFor, writeTree } from "../../fixtures/projects.js";
import { buildWheel, wheelBytes, wheelFilename, type BuiltWheel, type WheelSpec } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { CLOSURE_ARCHIVE_VERSION } from "../../src/format-versions.js";
import { patchEntryName } from "../bundle/helpers.js";
import { runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp.js";

// dist/ is built by `npm test`'s pretest (or `npx tsc -p .` by hand) before these run.
let work: { path: string; cleanup: () => Promise<void> };
let server: IndexServer | undefined;
let good: BuiltWheel;
/** Sorts (and so is fetched) before every `evil*` wheel. */
let first: BuiltWheel;
const hostile = new Map<string, BuiltWheel>();

const cli = (store: string, ...args: string[]) => runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store, SOURCE_DATE_EPOCH: "" } });

function described(filename: string, bytes: Buffer, dir: string): BuiltWheel {
  return {
    filename,
    path: join(dir, filename),
    bytes,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    size: bytes.length,
    metadata: "",
  };
}

/** A wheel named `evil-<n>` built by the fixture, then (for names yazl refuses to write) patched in place. */
async function make(label: string, n: number, spec: Partial<WheelSpec>, patch?: [string, string]): Promise<BuiltWheel> {
  const dir = join(work.path, "wheels");
  const full: WheelSpec = { name: `evil${n}`, version: "1.0", ...spec };
  let bytes = await wheelBytes(full);
  if (patch) bytes = patchEntryName(bytes, patch[0], patch[1]);
  const w = described(wheelFilename(full), bytes, dir);
  await mkdir(dir, { recursive: true });
  await writeFile(w.path, w.bytes);
  hostile.set(label, w);
  return w;
}

const UNSAFE: [string, Partial<WheelSpec>, [string, string] | undefined, RegExp][] = [
  [
    "traversal",
    { rawEntries: [{ name: "xx/xx/xx/evil.py", data: "x" }] },
    ["xx/xx/xx/evil.py", "../../../evil.py"],
    /"\.\.\/\.\.\/\.\.\/evil\.py": path escapes/,
  ],
  ["absolute", { rawEntries: [{ name: "xtmp/evil.py", data: "x" }] }, ["xtmp/evil.py", "/tmp/evil.py"], /"\/tmp\/evil\.py": absolute path/],
  ["symlink", { rawEntries: [{ name: "evil/link", data: "/etc/passwd", symlink: true }] }, undefined, /"evil\/link": symbolic link entry/],
  [
    "duplicate",
    { files: { "evil/__init__.py": "" }, rawEntries: [{ name: "evil/__init__.py", data: "x" }] },
    undefined,
    /"evil\/__init__\.py": duplicate entry/,
  ],
];

beforeAll(async () => {
  work = await tempDir("store-hostile");
  good = await buildWheel({ name: "fine", version: "1.0" }, join(work.path, "wheels"));
  first = await buildWheel({ name: "aardvark", version: "1.0" }, join(work.path, "wheels"));
  let n = 0;
  for (const [label, spec, patch] of UNSAFE) await make(label, n++, spec, patch);
  server = await startIndexServer({ wheels: [good, first, ...hostile.values()] });
});
afterAll(async () => {
  await server?.close();
  await work?.cleanup();
});

/** Everything a user could see of a store: its listing and every file under it (tmp/ included). */
async function snapshot(store: string): Promise<{ ls: unknown; files: string[] }> {
  const ls = await cli(store, "store", "ls", "--json");
  expect(ls.code).toBe(0);
  const files = (await readdir(store, { recursive: true })).filter((f) => !/^pystore\.db/.test(f)).sort();
  return { ls: JSON.parse(ls.stdout), files };
}

async function seeded(name: string): Promise<string> {
  const store = join(work.path, name);
  const added = await cli(store, "store", "add", good.path);
  expect(added.code).toBe(0);
  return store;
}

describe("store add refuses hostile wheels", () => {
  it.each(UNSAFE.map(([label, , , message]) => [label, message] as const))(
    "%s: UNSAFE_WHEEL, exit 9, store unchanged",
    async (label, message) => {
      const store = await seeded(`add-${label}`);
      const before = await snapshot(store);
      const w = hostile.get(label)!;
      const result = await cli(store, "store", "add", "--json", w.path);
      expect(result.code).toBe(EXIT.bundle);
      expect(result.stderr).toContain(w.filename);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/internal error/i);
      expect(await snapshot(store)).toEqual(before);
    },
  );

  it.each([
    ["not a zip", "notzip-1.0-py3-none-any.whl", Buffer.from("this is not a zip file"), /not a readable zip archive/],
    ["truncated zip", "cut-1.0-py3-none-any.whl", undefined, /not a readable zip archive|corrupt zip/],
    ["bad filename", "not-a-wheel.whl", undefined, /not-a-wheel\.whl/],
    ["foreign METADATA", "bare-1.0-py3-none-any.whl", undefined, /for "bare" \(found only other-1\.0\.dist-info\)/],
  ])("%s: a typed invalid-input error, exit 3, store unchanged", async (label, filename, given, message) => {
    const store = await seeded(`add-bad-${label.replace(/ /g, "-")}`);
    const before = await snapshot(store);
    let bytes = given;
    if (label === "truncated zip") bytes = good.bytes.subarray(0, good.bytes.length - 30);
    if (label === "bad filename") bytes = good.bytes;
    if (label === "foreign METADATA") bytes = await wheelBytes({ name: "other", version: "1.0" });
    const path = join(work.path, `bad-${label.replace(/ /g, "-")}`, filename);
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(path, bytes!);
    const result = await cli(store, "store", "add", path);
    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toContain(filename);
    expect(result.stderr).toMatch(message);
    expect(await snapshot(store)).toEqual(before);
  });
});

describe("a bundle whose lock points at a hostile wheel on an index", () => {
  it.each(UNSAFE.map(([label, , , message]) => [label, message] as const))(
    "%s: exit 9, no OUT, store unchanged",
    async (label, message) => {
      const store = await seeded(`bundle-${label}`);
      const before = await snapshot(store);
      const w = hostile.get(label)!;
      const dir = join(work.path, `project-${label}`);
      await writeTree(dir, { "pylock.toml": lockFor([{ wheel: w, url: `${server!.origin}/files/${w.filename}`, index: server!.url }]) });
      const out = join(dir, "out");
      const result = await cli(
        store,
        "bundle",
        "-l",
        join(dir, "pylock.toml"),
        "--platform",
        "manylinux_x86_64",
        "--python",
        "3.11",
        "-o",
        out,
      );
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain(w.filename);
      expect(result.code).toBe(EXIT.bundle);
      expect(server!.requests.some((r) => r.path === `/files/${w.filename}`)).toBe(true);
      expect((await readdir(dir)).filter((n) => n === "out" || n.startsWith(".tmp-"))).toEqual([]);
      expect(await snapshot(store)).toEqual(before);
    },
  );
});

describe("a bundle whose lock holds good wheels and one hostile wheel", () => {
  it.each(["remote", "local"])("stores none of them (the good one is %s, fetched or imported before the hostile one)", async (where) => {
    const store = await seeded(`bundle-mixed-${where}`);
    const before = await snapshot(store);
    const w = hostile.get("traversal")!;
    const dir = join(work.path, `project-mixed-${where}`);
    const good =
      where === "remote"
        ? { wheel: first, url: `${server!.origin}/files/${first.filename}`, index: server!.url }
        : { wheel: first, path: first.filename };
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, first.filename), first.bytes);
    await writeTree(dir, {
      "pylock.toml": lockFor([good, { wheel: w, url: `${server!.origin}/files/${w.filename}`, index: server!.url }]),
    });
    const result = await cli(
      store,
      "bundle",
      "-l",
      join(dir, "pylock.toml"),
      "--platform",
      "manylinux_x86_64",
      "--python",
      "3.11",
      "-o",
      join(dir, "out"),
    );
    expect(result.stderr).toMatch(/path escapes/);
    expect(result.code).toBe(EXIT.bundle);
    if (where === "remote") expect(server!.requests.some((r) => r.path === `/files/${first.filename}`)).toBe(true);
    expect(await snapshot(store)).toEqual(before);
  });
});

describe("store import of a closure that carries a hostile wheel", () => {
  it("refuses the whole archive (the good member is not imported either)", async () => {
    const w = hostile.get("symlink")!;
    const staging = join(work.path, "closure");
    const members = [good, w].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
    for (const m of members) {
      await mkdir(join(staging, "wheels", m.sha256), { recursive: true });
      await writeFile(join(staging, "wheels", m.sha256, m.filename), m.bytes);
    }
    const manifest = {
      format: "pystore-closure",
      version: CLOSURE_ARCHIVE_VERSION,
      createdBy: "test",
      members: members.map((m) => ({ path: `wheels/${m.sha256}/${m.filename}`, sha256: m.sha256, size: m.size })),
      entries: [],
    };
    await writeFile(join(staging, "manifest.json"), JSON.stringify(manifest));
    const archive = join(work.path, "closure.tar.gz");
    await createTar({ gzip: true, file: archive, cwd: staging }, ["manifest.json", "wheels"]);

    const store = join(work.path, "import-target");
    expect((await cli(store, "store", "ls")).code).toBe(0);
    const before = await snapshot(store);
    const result = await cli(store, "store", "import", archive);
    expect(result.stderr).toMatch(/symbolic link entry/);
    expect(result.stderr).toContain(w.filename);
    expect(result.code).toBe(EXIT.bundle);
    expect(await snapshot(store)).toEqual(before);
  });
});
