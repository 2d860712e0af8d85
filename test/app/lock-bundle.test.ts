// The application layer: `lock` and bundle's lock-first path are one lockProject, so they write the same
// pylock.toml and register the same gc root (lower-case digests).

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { writeTree } from "../../fixtures/projects.js";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { bundleProject } from "../../src/app/bundle.js";
import type { AppContext } from "../../src/app/context.js";
import { lockProject } from "../../src/app/lock.js";
import { indexRequest, lockRequest, transportSettings } from "../../src/commands/settings.js";
import { openStore } from "../../src/store/store.js";
import { silentLogger } from "../../src/util/log.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { buildWheels } from "../store/helpers.js";

let work: TempDir;
let wheels: BuiltWheel[];
let server: IndexServer;

beforeAll(async () => {
  work = await tempDir("app-lock");
  wheels = await buildWheels(
    [
      { name: "alpha", version: "1.0", requiresDist: ["beta"] },
      { name: "beta", version: "1.0" },
    ],
    join(work.path, "wheels"),
  );
  server = await startIndexServer({ wheels });
});
afterAll(async () => {
  await server?.close();
  await work?.cleanup();
});

const PYPROJECT = '[project]\nname = "demo"\nversion = "1"\ndependencies = ["alpha"]\n';
const context = (cwd: string): AppContext => ({ env: {}, cwd, log: silentLogger, store: { dir: join(work.path, "store") } });

describe("lockProject and bundleProject", () => {
  it("write byte-identical locks for one target and register the same root", async () => {
    const locked = join(work.path, "locked");
    const bundled = join(work.path, "bundled");
    for (const dir of [locked, bundled]) await writeTree(dir, { "pyproject.toml": PYPROJECT, "demo.py": "" });
    const flags = { indexUrl: server.url, platform: ["manylinux_x86_64"], python: ["3.11"] };

    const result = await lockProject(
      {
        request: lockRequest([], { ...flags, project: locked }, {}),
        transport: transportSettings({}, {}),
        output: join(locked, "pylock.toml"),
      },
      context(locked),
    );
    expect(result.changed).toBe(true);
    expect(result.lock.packages.map((p) => p.name)).toEqual(["alpha", "beta"]);

    const bundle = await bundleProject(
      {
        out: join(work.path, "out"),
        format: "dir",
        projectDir: bundled,
        target: { platform: "manylinux_x86_64", python: "3.11" },
        mtime: 0,
        index: indexRequest({ indexUrl: server.url }, {}),
        transport: transportSettings({}, {}),
      },
      context(bundled),
    );
    expect(bundle.packages.map((p) => p.name)).toEqual(["alpha", "beta"]);
    const fromLock = (await readFile(join(locked, "pylock.toml"), "utf8")).replaceAll(locked, "DIR");
    const fromBundle = (await readFile(join(bundled, "pylock.toml"), "utf8")).replaceAll(bundled, "DIR");
    expect(fromBundle).toBe(fromLock);

    const store = await openStore({ dir: join(work.path, "store"), readonly: true });
    try {
      const roots = store.roots.list().filter((r) => r.kind === "lock");
      const digests = wheels.map((w) => w.sha256).sort();
      expect(roots.map((r) => [r.path, r.sha256s])).toEqual([
        [join(bundled, "pylock.toml"), digests],
        [join(locked, "pylock.toml"), digests],
      ]);
    } finally {
      store.close();
    }
  });
});
