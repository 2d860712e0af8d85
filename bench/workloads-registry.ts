// Benchmark workload 7: the store on an OCI registry (the real CNCF distribution server on loopback).
// `store push --all` of the mirror wheel set into an empty repository, against a parallel `curl` that
// uploads the same blobs monolithically (one POST each, the least a client can send); and `store pull`
// into an empty store, against a parallel `curl` of the same blobs.

import { mkdir, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { startRegistry } from "../fixtures/registry.js";
import { compare, type Row } from "./compare.js";
import { failure, measure, PYSTORE_BIN, pystoreEnv, type Timed, timeCommand } from "./harness.js";
import { buildMirror } from "./mirror.js";

const DEFAULT_MIRROR_BYTES = 120 * 1024 * 1024;

function ok(label: string, result: Timed): Timed {
  if (result.code !== 0) throw failure(label, result);
  return result;
}

export async function registryWorkload(runs: number, work: string): Promise<Row[]> {
  const cache = process.env.BENCH_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "pystore-bench");
  const full = process.env.BENCH_MIRROR === "full";
  const mirror = await buildMirror(cache, { maxBytes: full ? 0 : DEFAULT_MIRROR_BYTES });
  const registry = await startRegistry({ dir: join(work, "registry") });
  const home = join(work, "registry-home");
  const source = join(work, "registry-source-store");
  const env = pystoreEnv(source, home);
  const rows: Row[] = [];
  const label = `${mirror.wheels.length} wheels, ${(mirror.totalBytes / 1e6).toFixed(0)} MB`;
  const pystore = (args: string[], store: string, cwd: string) =>
    timeCommand(process.execPath, [PYSTORE_BIN, ...args, "--store", store, "-q"], { cwd, env });
  let counter = 0;
  const fresh = async (name: string) => {
    const dir = join(work, `registry-${name}-${++counter}`);
    await mkdir(dir, { recursive: true });
    return dir;
  };
  try {
    ok(
      "store add",
      await timeCommand(process.execPath, [PYSTORE_BIN, "store", "add", "-q", ...mirror.wheels.map((w) => w.path)], { cwd: work, env }),
    );
    const blobUrls = (repo: string) => mirror.wheels.map((w) => `${registry.url}/v2/${repo}/blobs/sha256:${w.sha256}`);

    // Push into a new repository each run, so nothing is there yet.
    const pushed = await compare(
      runs,
      async () => {
        const repo = `bench/push${++counter}`;
        return measure(ok("store push", await pystore(["store", "push", registry.ref(repo, "bench"), "--all"], source, work)));
      },
      async () => {
        const dir = await fresh("curl-push");
        const repo = `bench/curl${counter}`;
        const lines = mirror.wheels.map((w) => `${w.path} ${registry.url}/v2/${repo}/blobs/uploads/?digest=sha256:${w.sha256}`);
        await writeFile(join(dir, "uploads.txt"), `${lines.join("\n")}\n`);
        const script = `xargs -P 8 -n 2 sh -c 'curl -sf -X POST -H "Content-Type: application/octet-stream" --data-binary @"$0" "$1" -o /dev/null' < uploads.txt`;
        return measure(ok("curl uploads", await timeCommand("/bin/sh", ["-c", script], { cwd: dir, env })));
      },
    );
    rows.push({
      workload: "7. OCI registry",
      label: `${label}, push to an empty repository`,
      pystoreCommand: "pystore store push oci://HOST/REPO:TAG --all",
      pipCommand: "xargs -P 8 curl -X POST --data-binary (monolithic uploads)",
      ...pushed,
    });

    // Pull what the first push wrote into an empty store, against curl of the same blobs.
    const ref = registry.ref("bench/push1", "bench");
    const pulled = await compare(
      runs,
      async () => {
        const dir = await fresh("pull");
        return measure(ok("store pull", await pystore(["store", "pull", ref], join(dir, "store"), dir)));
      },
      async () => {
        const dir = await fresh("curl-pull");
        await writeFile(join(dir, "urls.txt"), `${blobUrls("bench/push1").join("\n")}\n`);
        const script = 'xargs -P 8 -n 1 sh -c \'curl -sfL -o "$(basename "$0")" "$0"\' < urls.txt';
        return measure(ok("curl blobs", await timeCommand("/bin/sh", ["-c", script], { cwd: dir, env })));
      },
    );
    rows.push({
      workload: "7. OCI registry",
      label: `${label}, pull into an empty store`,
      pystoreCommand: "pystore store pull oci://HOST/REPO:TAG",
      pipCommand: "xargs -P 8 curl (the same blobs)",
      ...pulled,
    });
  } finally {
    await registry.close();
  }
  return rows;
}
