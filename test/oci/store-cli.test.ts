// `store push`, `store pull` and remote stores end to end with the built CLI against the real registry:
// store A pushes a lock's closure (Bearer token flow), skopeo reads it as an independent client, store B
// pulls it with no index and builds a byte-identical tar.gz bundle; altered bytes are refused with nothing
// added; fetch and bundle take wheels from remote stores before any index, and a registry that is down is a
// warning. The canary password never appears in output or in any file pystore writes.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { lockFor } from "../../fixtures/projects.js";
import { freePort, startRegistry, startRegistryProxy, type TestRegistry } from "../../fixtures/registry.js";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { type CliResult, runCli } from "../helpers/cli.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { buildWheels } from "../store/helpers.js";

const CANARY = "canary-S3cret-9d2b71";
const USER = { username: "fleet", password: CANARY };
const NO_PROXY_ENV = { http_proxy: "", https_proxy: "", all_proxy: "", HTTP_PROXY: "", HTTPS_PROXY: "", ALL_PROXY: "" };
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

let work: TempDir;
let wheels: BuiltWheel[];
let index: IndexServer;
let tokenRegistry: TestRegistry;
let basicRegistry: TestRegistry;
let lockPath: string;
let lockSha256: string;
let home: string;
const outputs: CliResult[] = [];

async function cli(args: string[], store: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const result = await runCli(args, {
    cwd: work.path,
    env: { ...NO_PROXY_ENV, HOME: home, PYSTORE_STORE: join(work.path, store), ...env },
  });
  outputs.push(result);
  return result;
}

beforeAll(async () => {
  work = await tempDir("oci-cli");
  wheels = await buildWheels(
    [
      { name: "fleet-app", version: "1.0", requiresDist: ["fleet-lib>=2"], files: { "fleet_app/__init__.py": "VERSION = 1\n" } },
      { name: "fleet-lib", version: "2.0" },
    ],
    join(work.path, "wheels"),
  );
  index = await startIndexServer({ wheels });
  [tokenRegistry, basicRegistry] = await Promise.all([
    startRegistry({ dir: join(work.path, "registry-token"), auth: { kind: "token", user: USER } }),
    startRegistry({ dir: join(work.path, "registry-basic"), auth: { kind: "htpasswd", user: USER } }),
  ]);
  home = join(work.path, "home");
  await mkdir(join(home, ".docker"), { recursive: true });
  const auth = Buffer.from(`${USER.username}:${CANARY}`).toString("base64");
  await writeFile(
    join(home, ".docker", "config.json"),
    JSON.stringify({ auths: { [tokenRegistry.host]: { auth }, [basicRegistry.host]: { auth } } }),
  );
  lockPath = join(work.path, "pylock.toml");
  const text = lockFor(wheels.map((wheel) => ({ wheel, url: `${index.origin}/files/${wheel.filename}`, index: index.url })));
  await writeFile(lockPath, text);
  lockSha256 = (await import("node:crypto")).createHash("sha256").update(text).digest("hex");
});

afterAll(async () => {
  await Promise.all([tokenRegistry?.close(), basicRegistry?.close(), index?.close()]);
  // Nothing pystore printed, and nothing it wrote below the work directory, holds the canary.
  for (const r of outputs) expect(r.stdout + r.stderr).not.toContain(CANARY);
  for (const store of await readdir(work.path)) {
    if (!store.startsWith("store-")) continue;
    for (const entry of await readdir(join(work.path, store), { recursive: true, withFileTypes: true })) {
      if (entry.isFile())
        expect((await readFile(join(entry.parentPath, entry.name))).includes(CANARY), join(entry.parentPath, entry.name)).toBe(false);
    }
  }
  await work?.cleanup();
});

// Asynchronous: the token realm runs in this process and must answer skopeo while it waits.
const run = promisify(execFile);

const indexDownloads = () => index.requests.filter((r) => r.path.startsWith("/files/")).length;
const skopeoCreds = ["--creds", `${USER.username}:${CANARY}`, "--tls-verify=false"];

describe("store push and store pull", () => {
  it("A pushes a lock's closure, skopeo reads it, B pulls it with no index and bundles byte-identically", async () => {
    expect((await cli(["fetch", "-l", lockPath, "--frozen"], "store-a")).code).toBe(0);
    const bundleA = join(work.path, "a.tar.gz");
    const builtA = await cli(["bundle", "-l", lockPath, "--frozen", ...TARGET, "-o", bundleA], "store-a");
    expect(builtA.stderr).not.toContain("error");
    expect(builtA.code).toBe(0);

    const ref = tokenRegistry.ref("team/closures");
    const pushed = await cli(["store", "push", ref, "-l", lockPath, "--json"], "store-a");
    expect(pushed.stderr).not.toContain("error");
    expect(pushed.code).toBe(0);
    const artifact = JSON.parse(pushed.stdout).artifacts[0];
    expect(artifact.tag).toBe(`lock-${lockSha256}`);
    expect(artifact.wheels.map((w: { blob: string }) => w.blob)).toEqual(["uploaded", "uploaded"]);
    expect(tokenRegistry.tokenRequests.length).toBeGreaterThan(0);

    // Pushing again sends no wheel and yields the same manifest.
    const again = JSON.parse((await cli(["store", "push", ref, "-l", lockPath, "--json"], "store-a")).stdout).artifacts[0];
    expect(again.digest).toBe(artifact.digest);
    expect(again.wheels.map((w: { blob: string }) => w.blob)).toEqual(["present", "present"]);

    // An independent client reads what pystore wrote.
    const dockerRef = `docker://${tokenRegistry.host}/team/closures:${artifact.tag}`;
    const raw = JSON.parse((await run("skopeo", ["inspect", "--raw", ...skopeoCreds, dockerRef], { encoding: "utf8" })).stdout);
    expect(raw.artifactType).toBe("application/vnd.pystore.closure.v1");
    expect(raw.layers.map((l: { annotations: Record<string, string> }) => l.annotations["org.opencontainers.image.title"]).sort()).toEqual(
      wheels.map((w) => w.filename).sort(),
    );
    const copied = join(work.path, "skopeo-copy");
    await run("skopeo", [
      "copy",
      "--quiet",
      "--src-creds",
      `${USER.username}:${CANARY}`,
      "--src-tls-verify=false",
      dockerRef,
      `dir:${copied}`,
    ]);
    for (const wheel of wheels) expect(Buffer.compare(await readFile(join(copied, wheel.sha256)), wheel.bytes)).toBe(0);

    const downloadsBefore = indexDownloads();
    const pulled = await cli(["store", "pull", `${ref}:${artifact.tag}`, "--json"], "store-b");
    expect(pulled.stderr).not.toContain("error");
    expect(pulled.code).toBe(0);
    const pull = JSON.parse(pulled.stdout);
    expect(pull.added).toHaveLength(2);
    expect(pull.digest).toBe(artifact.digest);
    const bundleB = join(work.path, "b.tar.gz");
    const builtB = await cli(["bundle", "-l", lockPath, "--frozen", "--offline", ...TARGET, "-o", bundleB], "store-b");
    expect(builtB.code).toBe(0);
    expect(indexDownloads()).toBe(downloadsBefore);
    expect(Buffer.compare(await readFile(bundleA), await readFile(bundleB))).toBe(0);

    // By digest too, and a second pull adds nothing.
    const byDigest = JSON.parse((await cli(["store", "pull", `${ref}@${artifact.digest}`, "--json"], "store-b")).stdout);
    expect(byDigest.added).toEqual([]);
    expect(byDigest.present).toHaveLength(2);
  });

  it("refuses a registry that serves altered bytes for a digest, naming expected and got, and adds nothing", async () => {
    const ref = basicRegistry.ref("team/tamper");
    expect((await cli(["fetch", "-l", lockPath, "--frozen"], "store-t")).code).toBe(0);
    const pushed = JSON.parse((await cli(["store", "push", ref, "-l", lockPath, "--tag", "v1", "--json"], "store-t")).stdout).artifacts[0];
    expect(pushed.tag).toBe("v1");
    const victim = wheels[1];
    const proxy = await startRegistryProxy(basicRegistry.url, { alter: (r) => r.method === "GET" && r.path.endsWith(victim.sha256) });
    try {
      await writeFile(
        join(home, ".docker", "config.json"),
        JSON.stringify({ auths: { [proxy.host]: { auth: Buffer.from(`${USER.username}:${CANARY}`).toString("base64") } } }),
      );
      const pulled = await cli(["store", "pull", `oci://${proxy.host}/team/tamper:v1`], "store-victim");
      expect(pulled.code).toBe(6);
      expect(pulled.stderr).toContain(`expected ${victim.sha256}, got `);
      expect(pulled.stderr).toContain(victim.filename);
      const listed = await cli(["store", "ls", "--json"], "store-victim");
      expect(JSON.parse(listed.stdout)).toEqual([]);
      expect(await readdir(join(work.path, "store-victim", "tmp"))).toEqual([]);
    } finally {
      await proxy.close();
      const auth = Buffer.from(`${USER.username}:${CANARY}`).toString("base64");
      await writeFile(
        join(home, ".docker", "config.json"),
        JSON.stringify({ auths: { [tokenRegistry.host]: { auth }, [basicRegistry.host]: { auth } } }),
      );
    }
  });

  it("--all pushes every stored wheel as one closure tagged by its config digest", async () => {
    const ref = basicRegistry.ref("team/everything");
    const pushed = await cli(["store", "push", ref, "--all", "--json"], "store-a");
    expect(pushed.code).toBe(0);
    const artifact = JSON.parse(pushed.stdout).artifacts[0];
    expect(artifact.tag).toMatch(/^closure-[0-9a-f]{64}$/);
    expect(artifact.wheels).toHaveLength(2);
    const pulled = JSON.parse((await cli(["store", "pull", `${ref}:${artifact.tag}`, "--json"], "store-all")).stdout);
    expect(pulled.added).toHaveLength(2);
    expect(pulled.lockSha256).toBeNull();
  });

  it("refuses a malformed reference and a tag that does not exist", async () => {
    const missing = await cli(["store", "pull", basicRegistry.ref("team/tamper", "no-such-tag")], "store-x");
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/MANIFEST_UNKNOWN|manifest unknown/);
    const bad = await cli(["store", "pull", "oci://registry.example/Team:v1"], "store-x");
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("^");
  });
});

describe("remote stores", () => {
  it("fetch takes locked wheels from --remote-store by digest, not from the index", async () => {
    const ref = basicRegistry.ref("team/substitutes");
    expect((await cli(["fetch", "-l", lockPath, "--frozen"], "store-s-src")).code).toBe(0);
    expect((await cli(["store", "push", ref, "-l", lockPath], "store-s-src")).code).toBe(0);
    const before = indexDownloads();
    const fetched = await cli(["fetch", "-l", lockPath, "--frozen", "--remote-store", ref], "store-s1");
    expect(fetched.stderr).not.toContain("error");
    expect(fetched.code).toBe(0);
    expect(fetched.stderr).toContain(`substituted ${wheels[0].filename} from ${ref}`);
    expect(indexDownloads()).toBe(before);
    // The same from PYSTORE_REMOTE_STORE, and from [tool.pystore] remote-stores beside the lock.
    expect((await cli(["fetch", "-l", lockPath, "--frozen"], "store-s2", { PYSTORE_REMOTE_STORE: ref })).code).toBe(0);
    const project = join(work.path, "project-remote");
    await mkdir(project, { recursive: true });
    await writeFile(
      join(project, "pyproject.toml"),
      `[project]\nname = "p"\nversion = "1"\n\n[tool.pystore]\nremote-stores = ["${ref}"]\n`,
    );
    await writeFile(join(project, "pylock.toml"), await readFile(lockPath));
    expect((await cli(["fetch", "-l", join(project, "pylock.toml"), "--frozen"], "store-s3")).code).toBe(0);
    expect(indexDownloads()).toBe(before);
  });

  it("bundle takes missing wheels from a remote store before any index", async () => {
    const ref = basicRegistry.ref("team/substitutes");
    const before = indexDownloads();
    const out = join(work.path, "remote-bundle");
    const built = await cli(["bundle", "-l", lockPath, "--frozen", ...TARGET, "--remote-store", ref, "-o", out], "store-s4");
    expect(built.stderr).not.toContain("error");
    expect(built.code).toBe(0);
    expect(indexDownloads()).toBe(before);
  });

  it("a registry that is down is a warning, and the index serves the wheels", async () => {
    const dead = `oci://127.0.0.1:${await freePort()}/team/none`;
    const before = indexDownloads();
    const fetched = await cli(["fetch", "-l", lockPath, "--frozen", "--remote-store", dead, "--retries", "0"], "store-s5");
    expect(fetched.code).toBe(0);
    expect(fetched.stderr).toContain(`warning: remote store ${dead} is unavailable`);
    expect(indexDownloads()).toBe(before + 2);
  });

  it("a miss falls through to the index", async () => {
    const empty = basicRegistry.ref("team/empty");
    const before = indexDownloads();
    const fetched = await cli(["fetch", "-l", lockPath, "--frozen", "--remote-store", empty], "store-s6");
    expect(fetched.code).toBe(0);
    expect(fetched.stderr).not.toContain("warning");
    expect(indexDownloads()).toBe(before + 2);
  });

  it("fetch --push-to publishes what was fetched, tagged by the lock's hash", async () => {
    const ref = basicRegistry.ref("team/pushed");
    const fetched = await cli(["fetch", "-l", lockPath, "--frozen", "--push-to", ref, "--json"], "store-p");
    expect(fetched.code).toBe(0);
    const out = JSON.parse(fetched.stdout);
    expect(out.pushed.tag).toBe(`lock-${lockSha256}`);
    const pulled = JSON.parse((await cli(["store", "pull", `${ref}:lock-${lockSha256}`, "--json"], "store-p2")).stdout);
    expect(pulled.added).toHaveLength(2);
  });
});
