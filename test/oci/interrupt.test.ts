// kill -9 in the middle of a push and of a pull: neither the registry nor the store is left unusable. The
// next push completes (the manifest goes last, so no tag names missing blobs), the next pull completes, and
// the killed pull added nothing (its staging files are debris that the store's cleanup removes).

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockFor } from "../../fixtures/projects.js";
import { startRegistry, startRegistryProxy, type ProxiedRequest, type TestRegistry } from "../../fixtures/registry.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { PYSTORE_BIN, REPO_ROOT, runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

let work: TempDir;
let registry: TestRegistry;
let big: BuiltWheel;
let lockPath: string;

beforeAll(async () => {
  work = await tempDir("oci-interrupt");
  registry = await startRegistry({ dir: join(work.path, "registry") });
  // Random bytes do not compress: the wheel is as large as its payload, so a transfer takes many chunks.
  big = await buildWheel(
    { name: "bigwheel", version: "1.0", files: { "bigwheel/__init__.py": "", "bigwheel/blob.bin": randomBytes(3 * 1024 * 1024) } },
    join(work.path, "wheels"),
  );
  lockPath = join(work.path, "pylock.toml");
  await writeFile(lockPath, lockFor([{ wheel: big, path: `wheels/${big.filename}` }]));
});
afterAll(async () => {
  await registry?.close();
  await work?.cleanup();
});

const env = (store: string) => ({ HOME: "/nonexistent", PYSTORE_STORE: join(work.path, store), http_proxy: "", HTTP_PROXY: "" });

/** Run the CLI and SIGKILL it as soon as `stalled` resolves (the proxy holds its transfer mid-blob). */
async function killedMidTransfer(args: string[], store: string, stalled: Promise<void>): Promise<number | null> {
  const child = spawn(process.execPath, [PYSTORE_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env(store) },
    stdio: "ignore",
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  await Promise.race([stalled, exited]);
  child.kill("SIGKILL");
  const { signal } = await exited;
  return signal === "SIGKILL" ? 9 : null;
}

function stallOn(match: (r: ProxiedRequest) => boolean) {
  let resolve!: () => void;
  const stalled = new Promise<void>((r) => (resolve = r));
  return { stalled, stall: { match, afterBytes: 256 * 1024, onStall: () => resolve() } };
}

describe("kill -9", () => {
  it("during a push leaves the registry usable: the next push and a pull succeed", async () => {
    expect((await runCli(["store", "add", big.path], { env: env("store-push") })).code).toBe(0);
    const { stalled, stall } = stallOn((r) => (r.method === "PUT" || r.method === "PATCH") && r.path.includes("/blobs/uploads/"));
    const proxy = await startRegistryProxy(registry.url, { stall });
    try {
      const killed = await killedMidTransfer(
        ["store", "push", `oci://${proxy.host}/team/killed`, "-l", lockPath, "--tag", "v1"],
        "store-push",
        stalled,
      );
      expect(killed).toBe(9);
    } finally {
      await proxy.close();
    }
    // No tag was written: the manifest goes last.
    expect((await runCli(["store", "pull", registry.ref("team/killed", "v1")], { env: env("store-none") })).code).toBe(5);
    const again = await runCli(["store", "push", registry.ref("team/killed"), "-l", lockPath, "--tag", "v1", "--json"], {
      env: env("store-push"),
    });
    expect(again.stderr).not.toContain("error");
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).artifacts[0].wheels[0].blob).toBe("uploaded");
    const pulled = await runCli(["store", "pull", registry.ref("team/killed", "v1"), "--json"], { env: env("store-after-push") });
    expect(pulled.code).toBe(0);
    expect(JSON.parse(pulled.stdout).added).toHaveLength(1);
  });

  it("during a pull adds nothing and leaves the store usable: verify passes and the next pull succeeds", async () => {
    expect(
      (await runCli(["store", "push", registry.ref("team/pull"), "-l", lockPath, "--tag", "v1"], { env: env("store-push") })).code,
    ).toBe(0);
    const { stalled, stall } = stallOn((r) => r.method === "GET" && r.path.endsWith(big.sha256));
    const proxy = await startRegistryProxy(registry.url, { stall });
    try {
      const killed = await killedMidTransfer(["store", "pull", `oci://${proxy.host}/team/pull:v1`], "store-pull", stalled);
      expect(killed).toBe(9);
    } finally {
      await proxy.close();
    }
    const listed = await runCli(["store", "ls", "--json"], { env: env("store-pull") });
    expect(JSON.parse(listed.stdout)).toEqual([]);
    expect((await runCli(["store", "verify"], { env: env("store-pull") })).code).toBe(0);
    const pulled = await runCli(["store", "pull", registry.ref("team/pull", "v1"), "--json"], { env: env("store-pull") });
    expect(pulled.stderr).not.toContain("error");
    expect(pulled.code).toBe(0);
    expect(JSON.parse(pulled.stdout).added).toHaveLength(1);
    // The dead pull's staging directory was debris: the next writer to open the store removed it.
    expect(await readdir(join(work.path, "store-pull", "tmp"))).toEqual([]);
  });
});
