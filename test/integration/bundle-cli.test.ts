// `pystore bundle` and `pystore bundle verify` through the real CLI (node bin/pystore → dist/), with wheels
// fetched from a local fixture index on 127.0.0.1 and the bundles run by the machine's real python3.

import { spawn } from "node:child_process";
import { mkdir, readdir, rename, stat, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { GREETLIB, lockFor, writeTree, writeTwoExecutables, writeWebApp } from "../../fixtures/projects.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { patchEntryName, tempDir } from "../bundle/helpers.js";
import { runCli } from "../helpers/cli.js";

// dist/ is built by `npm test`'s pretest (or `npx tsc -p .` by hand) before these run.
let work: { path: string; cleanup: () => Promise<void> };
let server: IndexServer;
let greet: BuiltWheel;
const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];

beforeAll(async () => {
  work = await tempDir("bundle-cli");
  greet = await buildWheel(GREETLIB, join(work.path, "wheels"));
  server = await startIndexServer({ wheels: [greet] });
});
afterAll(async () => {
  await server?.close();
  await work?.cleanup();
});

const cli = (args: string[], store = join(work.path, "store")) =>
  runCli(args, { cwd: work.path, env: { PYSTORE_STORE: store, SOURCE_DATE_EPOCH: "" } });

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

describe("pystore bundle (web app from a fixture index)", () => {
  it("bundles, moves, starts under env -i, answers Hello World over loopback, stops on SIGTERM", async () => {
    const project = join(work.path, "hello-web");
    await writeWebApp(project);
    await writeTree(project, {
      "pylock.toml": lockFor([{ wheel: greet, url: `${server.origin}/files/${greet.filename}`, index: server.url }]),
    });
    const built = join(work.path, "built");
    const result = await cli(["bundle", "--project", project, ...TARGET, "-o", built]);
    expect(result.stderr).toContain("fetching greetlib-1.0.0-py3-none-any.whl");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`bundled hello-web for manylinux_2_28_x86_64-cp311 into ${built} (dir, 1 package, `);
    expect(server.requests.some((r) => r.path === `/files/${greet.filename}`)).toBe(true);
    // No staging leftovers next to OUT, and the project's tests/ directory stayed out of the bundle.
    expect((await readdir(work.path)).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
    await expect(stat(join(built, "app/libs/src/hello_web/server.py"))).resolves.toBeTruthy();
    await expect(stat(join(built, "app/libs/src/tests"))).rejects.toThrow();

    const moved = join(work.path, "elsewhere", "hello");
    await mkdir(join(work.path, "elsewhere"));
    await rename(built, moved);
    const child = spawn("env", ["-i", "PATH=/usr/bin:/bin", `HOME=${join(work.path, "home")}`, join(moved, "bin/hello-web"), "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d) => {
          out += d;
          const match = /listening on (\d+)/.exec(out);
          if (match) resolve(Number(match[1]));
        });
        child.on("exit", (code) => reject(new Error(`server exited early (${code}): ${stderr}`)));
      });
      const response = await get(`http://127.0.0.1:${port}/`);
      expect(response).toEqual({ status: 200, body: "Hello World" });
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.on("exit", (code, signal) => resolve({ code, signal })),
      );
      // exec in the launcher makes the Python process the child itself: the signal reaches it directly.
      child.kill("SIGTERM");
      expect(await exited).toEqual({ code: null, signal: "SIGTERM" });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }

    const verify = await cli(["bundle", "verify", moved]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain("ok");

    // --offline now works from the store alone (the index is not asked again).
    const before = server.requests.length;
    const offline = await cli(["bundle", "--project", project, ...TARGET, "--offline", "-o", join(work.path, "offline-bundle")]);
    expect(offline.code).toBe(0);
    expect(server.requests.length).toBe(before);
  });

  it("without a lock, bundle locks first against the index and writes pylock.toml", async () => {
    const project = join(work.path, "hello-web-unlocked");
    await writeWebApp(project);
    const out = join(work.path, "unlocked-bundle");
    const result = await cli(
      ["bundle", "--project", project, ...TARGET, "--index-url", server.url, "-o", out],
      join(work.path, "store-unlocked"),
    );
    expect(result.stderr).toContain("locking first");
    expect(result.code).toBe(0);
    const lock = await readFileText(join(project, "pylock.toml"));
    expect(lock).toContain('name = "greetlib"');
    expect(lock).toContain(greet.sha256);
    const manifest = JSON.parse(await readFileText(join(out, "pystore-bundle.json")));
    expect(manifest.packages.map((p: { name: string }) => p.name)).toEqual(["greetlib"]);
  });

  it("--offline with an empty store fails with OFFLINE_MISSING naming the wheel and writes nothing", async () => {
    const project = join(work.path, "hello-web");
    const out = join(work.path, "never");
    const result = await cli(["bundle", "--project", project, ...TARGET, "--offline", "-o", out], join(work.path, "empty-store"));
    expect(result.code).toBe(8);
    expect(result.stderr).toContain("greetlib-1.0.0-py3-none-any.whl");
    await expect(stat(out)).rejects.toThrow();
  });
});

describe("pystore bundle (local project, launchers, verify, systemd)", () => {
  it("two executables share src/ and ../common-lib; the launcher refuses a wrong Python; verify names an edited file", async () => {
    const { project } = await writeTwoExecutables(join(work.path, "two"));
    await writeTree(project, { "pylock.toml": lockFor([{ wheel: greet, url: `${server.origin}/files/${greet.filename}` }]) });
    const out = join(work.path, "things-bundle");
    const built = await cli(["bundle", "--project", project, ...TARGET, "-o", out, "--systemd", "--user", "things", "--json"]);
    expect(built.code).toBe(0);
    const summary = JSON.parse(built.stdout);
    expect(summary.executables).toEqual(["thing-a", "thing-b", "thing-c"]);
    const env = { PATH: "/usr/bin:/bin", HOME: join(work.path, "home") };
    const a = await runLauncher(join(out, "bin/thing-a"), [], env);
    expect(a.stdout).toBe("A FROM SHARED! [] __main__\n");
    const b = await runLauncher(join(out, "bin/thing-b"), ["4"], env);
    expect(b).toMatchObject({ code: 4, stdout: "b from shared thing_b.py\n" });
    const unit = await readFileText(join(out, "systemd/things-thing-a.service"));
    expect(unit).toContain("ExecStart=/opt/things/bin/thing-a\n");
    expect(unit).toContain("User=things\n");
    expect(unit).toContain("Restart=on-failure\n");

    const py312 = join(work.path, "things-312");
    expect((await cli(["bundle", "--project", project, "--platform", "manylinux_x86_64", "--python", "3.12", "-o", py312])).code).toBe(0);
    const refused = await runLauncher(join(py312, "bin/thing-a"), [], { ...env, PYSTORE_PYTHON: "/usr/bin/python3.11" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /thing-a: this bundle was built for target \S+-cp312 and needs Python CPython 3\.12 \(found CPython 3\.11\.\d+ at \/usr\/bin\/python3\.11\)/,
    );

    await writeFile(join(out, "app/libs/common-lib/common/__init__.py"), "def shout(t):\n    return t\n");
    const verify = await cli(["bundle", "verify", out]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toBe("changed: app/libs/common-lib/common/__init__.py\n");
    expect(verify.stderr).toContain("1 changed, 0 missing, 0 extra");
    const json = await cli(["bundle", "verify", out, "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      bundle: out,
      ok: false,
      changed: ["app/libs/common-lib/common/__init__.py"],
      missing: [],
      extra: [],
    });
  });
});

describe("pystore bundle refuses hostile wheels", () => {
  async function hostile(label: string, make: () => Promise<{ filename: string; bytes: Buffer }>) {
    const dir = join(work.path, `hostile-${label}`);
    const wheel = await make();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, wheel.filename), wheel.bytes);
    const { createHash } = await import("node:crypto");
    const sha256 = createHash("sha256").update(wheel.bytes).digest("hex");
    await writeTree(dir, {
      "pylock.toml": lockFor([
        { wheel: { ...wheel, path: join(dir, wheel.filename), sha256, size: wheel.bytes.length, metadata: "" }, path: wheel.filename },
      ]),
    });
    const out = join(dir, "out");
    const result = await cli(["bundle", "-l", join(dir, "pylock.toml"), ...TARGET, "-o", out], join(work.path, `store-${label}`));
    expect(await readdir(dir)).toEqual(expect.not.arrayContaining([expect.stringMatching(/^(out|\.tmp-)/)]));
    return result;
  }

  it.each([
    ["traversal", "UNSAFE_WHEEL", /refusing archive entry "\.\.\/\.\.\/\.\.\/evil\.py": path escapes/],
    ["symlink", "UNSAFE_WHEEL", /refusing archive entry "evil\/link": symbolic link entry/],
    ["duplicate", "UNSAFE_WHEEL", /refusing archive entry "evil\/__init__\.py": duplicate entry/],
    ["record", "RECORD_MISMATCH", /evil\/__init__\.py: sha256 does not match RECORD/],
  ])("%s: exit 9, a typed message, and no OUT or staging left behind", async (label, _code, message) => {
    const result = await hostile(label, async () => {
      const dir = join(work.path, `src-${label}`);
      if (label === "traversal") {
        const w = await buildWheel({ name: "evil", version: "1.0", rawEntries: [{ name: "xx/xx/xx/evil.py", data: "x" }] }, dir);
        return { filename: w.filename, bytes: patchEntryName(w.bytes, "xx/xx/xx/evil.py", "../../../evil.py") };
      }
      const spec =
        label === "symlink"
          ? { name: "evil", version: "1.0", rawEntries: [{ name: "evil/link", data: "/etc/passwd", symlink: true }] }
          : label === "duplicate"
            ? { name: "evil", version: "1.0", rawEntries: [{ name: "evil/__init__.py", data: "x" }] }
            : { name: "evil", version: "1.0", corruptRecordFor: ["evil/__init__.py"] };
      const w = await buildWheel(spec, dir);
      return { filename: w.filename, bytes: w.bytes };
    });
    expect(result.code).toBe(9);
    expect(result.stderr).toMatch(message);
  });
});

/**
 * Run a bundle's launcher (not pystore) through runCli: the wrapper drops the node and pystore arguments
 * runCli appends, and the launcher gets exactly `env`.
 */
function runLauncher(launcher: string, args: string[], env: NodeJS.ProcessEnv) {
  const quoted = `'${launcher.replace(/'/g, `'\\''`)}'`;
  return runCli(args, { env, inheritEnv: false, wrapper: ["/bin/sh", "-c", `shift 2; exec ${quoted} "$@"`, "sh"] });
}

async function readFileText(path: string): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  return readFile(path, "utf8");
}
