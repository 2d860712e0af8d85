// `pystore bundle --format oci` through the real CLI: the layout read by skopeo, unpacked by umoci and its
// launcher run by the machine's Python; the same inputs giving the same bytes from another store and
// checkout; a base image kept underneath; the entrypoint choice; and `bundle verify` on the layout.

import { copyFile, mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE_RELEASE, buildOciBase, type OciBase } from "../../fixtures/oci-base.js";
import { GREETLIB, lockFor, writeTree, writeTwoExecutables } from "../../fixtures/projects.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { SYSTEM_PYTHON, tempDir } from "../bundle/helpers.js";
import { runCli } from "../helpers/cli.js";
import { allFiles, run, skopeoConfig, skopeoInspect, umociUnpack } from "./helpers.js";

let work: { path: string; cleanup: () => Promise<void> };
let greet: BuiltWheel;
let base: OciBase;
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

beforeAll(async () => {
  work = await tempDir("bundle-image");
  greet = await buildWheel(GREETLIB, join(work.path, "wheels"));
  base = await buildOciBase(join(work.path, "base"));
});
afterAll(async () => {
  await work?.cleanup();
});

/** The two-executables project (three executables, a wheel, code outside the project) in its own checkout under `root`. */
async function checkout(root: string): Promise<string> {
  const { project } = await writeTwoExecutables(root);
  await mkdir(join(project, "wheels"));
  await copyFile(greet.path, join(project, "wheels", greet.filename));
  await writeTree(project, { "pylock.toml": lockFor([{ wheel: greet, path: `wheels/${greet.filename}` }]) });
  return project;
}

const cli = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  runCli(args, { cwd, env: { PYSTORE_STORE: join(cwd, "store"), SOURCE_DATE_EPOCH: "", ...env } });

async function build(root: string, extra: string[], env: NodeJS.ProcessEnv = {}): Promise<{ out: string; stdout: string }> {
  const project = await checkout(root);
  const out = join(root, "image.oci");
  const result = await cli(["bundle", "--project", project, ...TARGET, "--offline", "-o", out, ...extra], root, env);
  if (result.code !== 0) throw new Error(`bundle failed (${result.code}): ${result.stderr}`);
  return { out, stdout: result.stdout };
}

describe("bundle --format oci", () => {
  it("writes a layout skopeo reads and umoci unpacks, whose entrypoint runs with the host Python", async () => {
    const root = join(work.path, "plain");
    const { out, stdout } = await build(root, ["--entrypoint", "thing-c"]);
    expect(stdout).toContain(`into ${out} (oci, 1 package,`);
    expect(stdout).toContain("/opt/things/bin/thing-c (inside the image image.oci)");
    expect(JSON.parse(await readFile(join(out, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });

    const inspect = skopeoInspect(`oci:${out}:latest`);
    expect(inspect.Architecture).toBe("amd64");
    expect(inspect.Os).toBe("linux");
    expect((inspect.Layers as string[]).length).toBe(1);
    expect(inspect.Created).toBe("1980-01-01T00:00:00Z");
    const config = skopeoConfig(`oci:${out}:latest`);
    expect(config.config?.Entrypoint).toEqual(["/opt/things/bin/thing-c"]);
    expect(config.config?.Cmd).toBeUndefined();
    expect(config.config?.WorkingDir).toBe("/opt/things");
    expect(config.config?.Env).toEqual(["PATH=/opt/things/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
    expect(config.config?.Labels?.["org.opencontainers.image.title"]).toBe("things");
    expect(config.config?.Labels?.["dev.pystore.bundle.hash"]).toMatch(stdout.match(/bundle hash: ([0-9a-f]{64})/)![1]);
    expect(config.history).toHaveLength(1);

    const unpacked = join(root, "unpacked");
    umociUnpack(out, "latest", unpacked);
    const rootfs = join(unpacked, "rootfs");
    expect((await stat(join(rootfs, "opt/things/bin/thing-c"))).mode & 0o777).toBe(0o755);
    expect((await stat(join(rootfs, "opt/things/pystore-bundle.json"))).isFile()).toBe(true);
    // The launcher as the image would run it: its entrypoint, a bare environment, the host's Python 3.11 on PATH.
    const ran = run("env", ["-i", `PATH=/usr/bin:/bin`, join(rootfs, "opt/things/bin/thing-c"), "hi"]);
    expect(ran.stderr).toBe("");
    expect(ran.stdout.trim()).toBe("C HI!");
    expect(ran.status).toBe(3);
    const a = run(join(rootfs, "opt/things/bin/thing-a"), [], { env: { PATH: "/usr/bin:/bin" } });
    expect(a.stdout).toContain("A FROM SHARED!");

    const verified = await cli(["bundle", "verify", out], root);
    expect(verified.stdout).toContain("ok, every file matches pystore-bundle.json");
    expect(verified.code).toBe(0);
  });

  it("gives the same index.json and blobs from another store and checkout path, and others with another SOURCE_DATE_EPOCH", async () => {
    const a = await build(join(work.path, "det-a"), ["--entrypoint", "thing-a"]);
    const b = await build(join(work.path, "det-b", "deeper", "still"), ["--entrypoint", "thing-a"]);
    const filesA = allFiles(a.out);
    const filesB = allFiles(b.out);
    expect([...filesA.keys()]).toEqual([...filesB.keys()]);
    expect(filesA.size).toBe(5); // oci-layout, index.json, layer, config, manifest
    for (const [path, bytes] of filesA) expect(bytes.equals(filesB.get(path)!), path).toBe(true);
    const c = await build(join(work.path, "det-c"), ["--entrypoint", "thing-a"], { SOURCE_DATE_EPOCH: "1700000000" });
    expect((await readFile(join(c.out, "index.json"))).equals(filesA.get("index.json")!)).toBe(false);
    expect(skopeoInspect(`oci:${c.out}:latest`).Created).toBe("2023-11-14T22:13:20Z");
  });

  it("puts the bundle on a base image: its layers, diff_ids, history and Env kept, PATH merged, Cmd dropped", async () => {
    const root = join(work.path, "based");
    const { out } = await build(root, ["--entrypoint", "thing-b", "--base-image", `${base.dir}:${base.tag}`, "--prefix", "/srv/things"]);
    const inspect = skopeoInspect(`oci:${out}:latest`);
    expect(inspect.Layers).toHaveLength(2);
    expect((inspect.Layers as string[])[0]).toBe(base.layerDigest);
    const config = skopeoConfig(`oci:${out}:latest`);
    expect(config.rootfs.diff_ids[0]).toBe(base.diffId);
    expect(config.rootfs.diff_ids).toHaveLength(2);
    expect(config.history?.map((h) => h.created_by)).toEqual(["fixtures/oci-base.ts", expect.stringMatching(/^pystore .* bundle$/)]);
    expect(config.config?.Env).toEqual(["PATH=/srv/things/bin:/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"]);
    expect(config.config?.Cmd).toBeUndefined();
    expect(config.config?.Entrypoint).toEqual(["/srv/things/bin/thing-b"]);
    expect(config.config?.Labels?.["org.example.base"]).toBe("yes");
    const manifest = JSON.parse(run("skopeo", ["inspect", "--raw", `oci:${out}:latest`]).stdout);
    expect(manifest.annotations["org.opencontainers.image.base.digest"]).toBe(base.manifestDigest);
    // A local base's path is not recorded: the image must not depend on where the base was unpacked.
    expect(manifest.annotations["org.opencontainers.image.base.name"]).toBeUndefined();

    const unpacked = join(root, "unpacked");
    umociUnpack(out, "latest", unpacked);
    expect(await readFile(join(unpacked, "rootfs/etc/base-release"), "utf8")).toBe(BASE_RELEASE);
    const ran = run(join(unpacked, "rootfs/srv/things/bin/thing-b"), ["4"], { env: { PATH: "/usr/bin:/bin" } });
    expect(ran.stdout.trim()).toBe("b from shared thing_b.py");
    expect(ran.status).toBe(4);
    expect((await cli(["bundle", "verify", out], root)).code).toBe(0);
  });

  it("refuses a base image for another platform, naming both, before writing anything", async () => {
    const root = join(work.path, "arm-base");
    const arm = await buildOciBase(join(root, "arm"), { architecture: "arm64" });
    const project = await checkout(root);
    const out = join(root, "image.oci");
    const result = await cli(
      ["bundle", "--project", project, ...TARGET, "--offline", "-o", out, "--entrypoint", "thing-a", "--base-image", arm.dir],
      root,
    );
    expect(result.stderr).toContain(
      `the base image ${arm.dir} is linux/arm64, but the target manylinux_2_28_x86_64-cp311 needs linux/amd64`,
    );
    expect(result.code).toBe(3);
    await expect(stat(out)).rejects.toThrow();
    expect(await readdir(join(root, "store")).catch(() => [])).toEqual([]);
  });

  it("asks which executable to run when there are several, and names them", async () => {
    const root = join(work.path, "ambiguous");
    const project = await checkout(root);
    const out = join(root, "image.oci");
    const result = await cli(["bundle", "--project", project, ...TARGET, "--offline", "-o", out], root);
    expect(result.stderr).toContain("the bundle has 3 executables; say which one the image runs with --entrypoint NAME");
    expect(result.stderr).toContain("thing-a ([tool.pystore.scripts]), thing-b ([tool.pystore.scripts]), thing-c ([tool.pystore.scripts])");
    expect(result.code).toBe(2);
    await expect(stat(out)).rejects.toThrow();
    expect((await readdir(root)).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
    const wrong = await cli(["bundle", "--project", project, ...TARGET, "--offline", "-o", out, "--entrypoint", "nope"], root);
    expect(wrong.stderr).toContain('--entrypoint "nope" is not an executable of the bundle');
    expect(wrong.code).toBe(2);
    const notImage = await cli(
      ["bundle", "--project", project, ...TARGET, "--offline", "-o", join(root, "x.tar.gz"), "--entrypoint", "thing-a"],
      root,
    );
    expect(notImage.stderr).toContain("--entrypoint needs an image bundle (--format oci, or -o OUT.oci)");
    expect(notImage.code).toBe(2);
  });

  it("keeps the launcher's interpreter check inside the image", async () => {
    const root = join(work.path, "py312");
    const project = await checkout(root);
    const out = join(root, "image.oci");
    const built = await cli(
      [
        "bundle",
        "--project",
        project,
        "--platform",
        "manylinux_x86_64",
        "--python",
        "3.12",
        "--frozen",
        "--offline",
        "-o",
        out,
        "--entrypoint",
        "thing-a",
      ],
      root,
    );
    expect(built.code, built.stderr).toBe(0);
    umociUnpack(out, "latest", join(root, "unpacked"));
    const ran = run(join(root, "unpacked/rootfs/opt/things/bin/thing-a"), [], {
      env: { PATH: "/usr/bin:/bin", PYSTORE_PYTHON: SYSTEM_PYTHON },
    });
    expect(ran.status).not.toBe(0);
    expect(ran.stderr).toContain("built for target manylinux_2_28_x86_64-cp312 and needs Python CPython 3.12 (found CPython 3.11");
    expect(ran.stdout).toBe("");
  });

  it("bundle verify names a changed blob and a changed file inside the layer, and refuses to replace a foreign directory", async () => {
    const root = join(work.path, "tamper");
    const { out } = await build(root, ["--entrypoint", "thing-a"]);
    const index = JSON.parse(await readFile(join(out, "index.json"), "utf8"));
    const manifest = JSON.parse(await readFile(join(out, "blobs/sha256", index.manifests[0].digest.slice(7)), "utf8"));
    const configPath = `blobs/sha256/${manifest.config.digest.slice(7)}`;
    await writeFile(join(out, configPath), "{}");
    await writeFile(join(out, "blobs/sha256", "0".repeat(64)), "stray");
    const result = await cli(["bundle", "verify", out, "--json"], root);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.changed).toEqual([configPath]);
    expect(report.extra).toEqual([`blobs/sha256/${"0".repeat(64)}`]);
    expect(report.missing).toEqual([]);

    // An edit inside the layer (same length, so only the content differs): the blob and the file are named.
    const layerPath = `blobs/sha256/${manifest.layers[0].digest.slice(7)}`;
    const tar = gunzipSync(await readFile(join(out, layerPath)));
    const at = tar.indexOf("return text.upper()");
    expect(at).toBeGreaterThan(0);
    tar.write("return text.lower()", at);
    await writeFile(join(out, layerPath), gzipSync(tar));
    const edited = JSON.parse((await cli(["bundle", "verify", out, "--json"], root)).stdout);
    expect(edited.changed).toEqual(["app/libs/common-lib/common/__init__.py", configPath, layerPath].sort());

    const foreign = join(root, "foreign.oci");
    await writeTree(foreign, { "keep.txt": "mine" });
    const refused = await cli(
      ["bundle", "--project", join(root, "things"), ...TARGET, "--offline", "-o", foreign, "--entrypoint", "thing-a"],
      root,
    );
    expect(refused.stderr).toContain("exists and is not a pystore image bundle");
    expect(await readFile(join(foreign, "keep.txt"), "utf8")).toBe("mine");
  });
});
