// `pystore serve` as a real index: the machine's pip installs from it, and the pages follow PEP 503/691/658.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { PYSTORE_BIN, runCli } from "../helpers/cli.js";
import { buildWheels } from "../store/helpers.js";
import { tempDir } from "../helpers/temp.js";

const pipAvailable = spawnSync("python3", ["-m", "pip", "--version"]).status === 0;
const DEBIAN_WHEEL = ["/usr/share/python-wheels"].flatMap((d) =>
  existsSync(d)
    ? readdirSync(d)
        .filter((f) => f.startsWith("wheel-"))
        .map((f) => join(d, f))
    : [],
)[0];

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];
let serve: ChildProcess | undefined;
let url = "";

beforeAll(async () => {
  work = await tempDir("serve");
  wheels = await buildWheels(
    [
      { name: "Served.App", version: "1.0", requiresDist: ["served-lib>=2"], requiresPython: ">=3.7" },
      { name: "served-lib", version: "2.0" },
      { name: "served-lib", version: "1.0" },
      { name: "future-only", version: "1.0", requiresPython: ">=4" },
    ],
    join(work.path, "wheels"),
  );
  const store = join(work.path, "store");
  const add = await runCli(["store", "add", ...wheels.map((w) => w.path), ...(DEBIAN_WHEEL ? [DEBIAN_WHEEL] : [])], {
    env: { PYSTORE_STORE: store },
  });
  expect(add.code).toBe(0);
  serve = spawn(process.execPath, [PYSTORE_BIN, "serve", "--port", "0"], {
    env: { ...process.env, PYSTORE_STORE: store },
    stdio: ["ignore", "pipe", "pipe"],
  });
  url = await new Promise<string>((resolve, reject) => {
    let out = "";
    serve!.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(out.split("\n")[0]);
    });
    serve!.on("exit", (code) => reject(new Error(`serve exited with ${code}`)));
  });
});

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    const exited = new Promise((r) => serve!.once("exit", r));
    serve.kill("SIGTERM");
    await exited;
  }
  await work.cleanup();
});

describe("pystore serve", () => {
  it("prints a loopback URL and serves PEP 503 HTML with hashes, requires-python and metadata", async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/simple\/$/);
    const index = await (await fetch(url)).text();
    expect(index).toContain('<a href="served-app/">served-app</a>');
    const redirect = await fetch(`${url}Served.App/`, { redirect: "manual" });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get("location")).toBe("/simple/served-app/");
    const page = await (await fetch(`${url}served-app/`)).text();
    const app = wheels[0];
    const metaHash = createHash("sha256").update(app.metadata).digest("hex");
    expect(page).toContain(`#sha256=${app.sha256}"`);
    expect(page).toContain(`data-requires-python="&gt;=3.7"`);
    expect(page).toContain(`data-core-metadata="sha256=${metaHash}"`);
    const href = /href="([^"#]+)#/.exec(page)![1];
    const fileUrl = new URL(href, `${url}served-app/`);
    expect(Buffer.from(await (await fetch(fileUrl)).arrayBuffer())).toEqual(app.bytes);
    const meta = await (await fetch(`${fileUrl.href}.metadata`)).text();
    expect(createHash("sha256").update(meta).digest("hex")).toBe(metaHash);
    expect((await fetch(`${url}nothing-here/`)).status).toBe(404);
  });

  it("answers PEP 691 JSON when asked", async () => {
    const res = await fetch(`${url}served-lib/`, { headers: { Accept: "application/vnd.pypi.simple.v1+json" } });
    expect(res.headers.get("content-type")).toBe("application/vnd.pypi.simple.v1+json");
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.meta["api-version"]).toBe("1.1");
    expect(body.versions).toEqual(["1.0", "2.0"]);
    expect(body.files.map((f: { hashes: { sha256: string } }) => f.hashes.sha256).sort()).toEqual(
      [wheels[1].sha256, wheels[2].sha256].sort(),
    );
    expect(body.files.every((f: { "core-metadata": unknown; size: number }) => f["core-metadata"] && f.size > 0)).toBe(true);
  });

  it.skipIf(!pipAvailable)("the real pip installs the stored wheels from it (dependencies included)", async () => {
    const target = join(work.path, "target");
    // --isolated: ignore this machine's pip.conf/PIP_* (extra indexes, find-links) so only the store answers.
    const pip = spawnSync(
      "python3",
      [
        "-m",
        "pip",
        "install",
        "--isolated",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--index-url",
        url.replace(/\/$/, ""),
        "--target",
        target,
        "served-app",
      ],
      { encoding: "utf8", timeout: 180_000 },
    );
    expect(pip.stderr + pip.stdout).toContain("Successfully installed served-app-1.0 served-lib-2.0");
    expect(pip.status).toBe(0);
    expect(await readFile(join(target, "served_app", "__init__.py"), "utf8")).toContain('__version__ = "1.0"');
    expect(await readFile(join(target, "served_lib", "__init__.py"), "utf8")).toContain('__version__ = "2.0"');
  });

  it.skipIf(!pipAvailable || !DEBIAN_WHEEL)("pip installs Debian's real wheel wheel from the store", async () => {
    const target = join(work.path, "target-wheel");
    const pip = spawnSync(
      "python3",
      [
        "-m",
        "pip",
        "install",
        "--isolated",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--no-deps",
        "--index-url",
        url.replace(/\/$/, ""),
        "--target",
        target,
        "wheel",
      ],
      { encoding: "utf8", timeout: 180_000 },
    );
    expect(pip.status).toBe(0);
    const version = /wheel-([\d.]+)-py3/.exec(DEBIAN_WHEEL!)![1];
    expect(existsSync(join(target, `wheel-${version}.dist-info`, "METADATA"))).toBe(true);
  });

  it.skipIf(!pipAvailable)("pip honours requires-python from the index (a >=4 wheel is never chosen)", async () => {
    const pip = spawnSync(
      "python3",
      [
        "-m",
        "pip",
        "download",
        "--isolated",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--index-url",
        url.replace(/\/$/, ""),
        "-d",
        join(work.path, "dl"),
        "future-only",
      ],
      { encoding: "utf8", timeout: 180_000 },
    );
    expect(pip.status).not.toBe(0);
    expect(pip.stderr).toMatch(/Requires-Python|No matching distribution/);
  });
});
