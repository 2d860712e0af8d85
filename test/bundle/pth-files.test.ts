// A wheel's .pth files run at every interpreter start: a bundle lists them per package and says so.

import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { lockFor } from "../../fixtures/projects.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { buildBundle } from "../../src/bundle/bundle.js";
import { parsePylock } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";
import { openStore, type Store } from "../../src/store/store.js";
import { DEFAULT_EPOCH } from "../../src/util/archive-time.js";
import type { Logger } from "../../src/util/log.js";
import { tempDir } from "./helpers.js";

let dir: { path: string; cleanup: () => Promise<void> };
let store: Store;

beforeAll(async () => {
  dir = await tempDir("pth");
  store = await openStore({ dir: join(dir.path, "store") });
});
afterAll(async () => {
  store?.close();
  await dir?.cleanup();
});

it("lists each package's .pth files and logs them", async () => {
  const wheels = join(dir.path, "wheels");
  const hooked = await buildWheel(
    {
      name: "hooked",
      version: "1.0",
      files: { "hooked/__init__.py": "", "hooked-init.pth": "import hooked\n", "hooked/nested.pth": "x\n" },
    },
    wheels,
  );
  const plain = await buildWheel({ name: "plain", version: "1.0" }, wheels);
  const lockText = lockFor([
    { wheel: hooked, path: hooked.filename },
    { wheel: plain, path: plain.filename },
  ]);
  const infos: string[] = [];
  const log: Logger = { debug() {}, info: (m) => infos.push(m), warn() {} };
  const result = await buildBundle({
    lock: parsePylock(lockText),
    lockText,
    lockDir: wheels,
    target: resolveTarget("manylinux_x86_64", "3.11"),
    out: join(dir.path, "out"),
    format: "dir",
    mtime: DEFAULT_EPOCH,
    store,
    log,
    offline: true,
  });
  expect(result.packages.map((p) => [p.name, p.pthFiles])).toEqual([
    ["hooked", ["hooked-init.pth"]],
    ["plain", []],
  ]);
  expect(infos).toContain("hooked 1.0 installs hooked-init.pth (run by Python at start-up)");
});
