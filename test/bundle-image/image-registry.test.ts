// Image bundles and a real registry (the CNCF distribution registry on loopback): `bundle push` read back
// by skopeo, `--base-image oci://…` pulled through pystore's OCI client, and `bundle --push` pushing
// the base's layers by mount from the base's repository.

import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOciBase, type OciBase } from "../../fixtures/oci-base.js";
import { lockFor, writeTree, writeTwoExecutables, GREETLIB } from "../../fixtures/projects.js";
import { startRegistry, type TestRegistry } from "../../fixtures/registry.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { tempDir } from "../bundle/helpers.js";
import { runCli } from "../helpers/cli.js";
import { run, skopeoConfig, skopeoInspect, umociUnpack } from "./helpers.js";

let work: { path: string; cleanup: () => Promise<void> };
let registry: TestRegistry;
let greet: BuiltWheel;
let base: OciBase;
let project: string;
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11", "--offline"];

beforeAll(async () => {
  work = await tempDir("bundle-image-registry");
  registry = await startRegistry({ dir: join(work.path, "registry") });
  greet = await buildWheel(GREETLIB, join(work.path, "wheels"));
  base = await buildOciBase(join(work.path, "base"));
  ({ project } = await writeTwoExecutables(join(work.path, "src")));
  await mkdir(join(project, "wheels"));
  await copyFile(greet.path, join(project, "wheels", greet.filename));
  await writeTree(project, { "pylock.toml": lockFor([{ wheel: greet, path: `wheels/${greet.filename}` }]) });
});
afterAll(async () => {
  await registry?.close();
  await work?.cleanup();
});

const cli = (args: string[]) => runCli(args, { cwd: work.path, env: { PYSTORE_STORE: join(work.path, "store"), SOURCE_DATE_EPOCH: "" } });
const docker = (repo: string) => `docker://${registry.host}/${repo}`;
const NO_TLS = ["--tls-verify=false"];

describe("image bundles and a registry", () => {
  it("bundle push uploads the layout; skopeo reads the same image back from the registry", async () => {
    const out = join(work.path, "plain.oci");
    const built = await cli(["bundle", "--project", project, ...TARGET, "-o", out, "--entrypoint", "thing-c"]);
    expect(built.code, built.stderr).toBe(0);
    const pushed = await cli(["bundle", "push", out, registry.ref("apps/things", "v1"), "--json"]);
    expect(pushed.code, pushed.stderr).toBe(0);
    const result = JSON.parse(pushed.stdout);
    const local = JSON.parse(run("skopeo", ["inspect", "--raw", `oci:${out}:latest`]).stdout);
    const remote = skopeoInspect(`${docker("apps/things")}:v1`, NO_TLS);
    expect(remote.Digest).toBe(result.digest);
    expect(remote.Layers).toEqual(local.layers.map((l: { digest: string }) => l.digest));
    expect(result.reference).toBe(`${registry.ref("apps/things", "v1")}@${result.digest}`);
    expect(result.blobs.map((b: { status: string }) => b.status)).toEqual(["uploaded", "uploaded"]);
    // Again: nothing to upload.
    const again = await cli(["bundle", "push", out, registry.ref("apps/things", "v1")]);
    expect(again.stdout).toContain("(0 blobs uploaded, 0 mounted, 2 already there)");
    expect(skopeoConfig(`${docker("apps/things")}:v1`, NO_TLS).config?.Entrypoint).toEqual(["/opt/things/bin/thing-c"]);
  });

  it("pulls an oci:// base image, records it, and pushes with --push, mounting the base's layer", async () => {
    const copied = run("skopeo", ["copy", "--dest-tls-verify=false", `oci:${base.dir}:${base.tag}`, `${docker("library/base")}:1`]);
    expect(copied.status, copied.stderr).toBe(0);
    const baseRef = registry.ref("library/base", "1");
    const out = join(work.path, "based.oci");
    const built = await cli([
      "bundle",
      "--project",
      project,
      ...TARGET,
      "-o",
      out,
      "--entrypoint",
      "thing-a",
      "--base-image",
      baseRef,
      "--push",
      registry.ref("apps/based", "2"),
    ]);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toMatch(
      /pushed oci:\/\/127\.0\.0\.1:\d+\/apps\/based:2@sha256:[0-9a-f]{64} \(2 blobs uploaded, 1 mounted, 0 already there\)/,
    );
    const manifest = JSON.parse(run("skopeo", ["inspect", "--raw", `oci:${out}:latest`]).stdout);
    expect(manifest.layers[0].digest).toBe(base.layerDigest);
    expect(manifest.annotations["org.opencontainers.image.base.name"]).toBe(baseRef);
    // skopeo may re-encode a copied manifest: the base digest recorded is the one the registry serves.
    expect(manifest.annotations["org.opencontainers.image.base.digest"]).toBe(skopeoInspect(`${docker("library/base")}:1`, NO_TLS).Digest);
    const unpacked = join(work.path, "based-unpacked");
    umociUnpack(out, "latest", unpacked);
    const ran = run(join(unpacked, "rootfs/opt/things/bin/thing-a"), [], { env: { PATH: "/usr/bin:/bin" } });
    expect(ran.stdout).toContain("A FROM SHARED!");
    expect(skopeoInspect(`${docker("apps/based")}:2`, NO_TLS).Layers).toEqual(manifest.layers.map((l: { digest: string }) => l.digest));
  });

  it("names a registry base image that has no image for the target's platform", async () => {
    const arm = await buildOciBase(join(work.path, "arm"), { architecture: "arm64" });
    expect(run("skopeo", ["copy", "--dest-tls-verify=false", `oci:${arm.dir}:${arm.tag}`, `${docker("library/arm")}:1`]).status).toBe(0);
    const result = await cli([
      "bundle",
      "--project",
      project,
      ...TARGET,
      "-o",
      join(work.path, "arm.oci"),
      "--entrypoint",
      "thing-a",
      "--base-image",
      registry.ref("library/arm", "1"),
    ]);
    expect(result.stderr).toContain("is linux/arm64, but the target manylinux_2_28_x86_64-cp311 needs linux/amd64");
    expect(result.code).toBe(3);
  });
});
