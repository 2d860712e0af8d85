// `pystore index show` through the built CLI against real loopback indexes, tinyproxy, and a credential canary.

import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import { startTinyproxy, type Tinyproxy } from "../../fixtures/tinyproxy.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { REPO_ROOT, runCli } from "../helpers/cli.js";

let dir: string;
let wheels: BuiltWheel[];
let open: IndexServer;
const extra: IndexServer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pystore-index-show-"));
  const out = join(dir, "wheels");
  wheels = [
    await buildWheel({ name: "Shown.Pkg", version: "1.0", requiresPython: ">=3.8" }, out),
    await buildWheel({ name: "Shown.Pkg", version: "10.0", tags: "cp311-cp311-manylinux_2_17_x86_64" }, out),
    await buildWheel({ name: "Shown.Pkg", version: "10.0" }, out),
    await buildWheel({ name: "Shown.Pkg", version: "2.0rc1" }, out),
  ];
  open = await startIndexServer({ wheels, yanked: { [wheels[3].filename]: "do not use" } });
});

afterAll(async () => {
  await open?.close();
  await Promise.all(extra.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

function env(extraEnv: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: join(dir, "home"), NO_COLOR: "1", ...extraEnv };
}

// dist/ is built by `npm test`'s pretest (or `npx tsc -p .` by hand) before these run.
it("the CLI is built", () => {
  expect(statSync(join(REPO_ROOT, "dist/commands/index-show.js")).isFile()).toBe(true);
});

describe("pystore index show", () => {
  it("prints a table ordered by version (newest first) then filename", async () => {
    const store = join(dir, "store-table");
    const r = await runCli(["--store", store, "index", "show", "shown_pkg", "--index-url", open.url], { env: env(), inheritEnv: false });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`shown-pkg: 4 files from ${open.url}`);
    expect(lines[1].split(/\s{2,}/)).toEqual(["VERSION", "FILENAME", "TAGS", "REQUIRES-PYTHON", "YANKED", "SHA256", "METADATA"]);
    const rows = lines.slice(2).map((l) => l.split(/\s{2,}/));
    expect(rows.map((r) => r[1])).toEqual([wheels[1].filename, wheels[2].filename, wheels[3].filename, wheels[0].filename]);
    expect(rows[3]).toEqual(["1.0", wheels[0].filename, "py3-none-any", ">=3.8", "no", wheels[0].sha256.slice(0, 12), "yes"]);
    expect(rows[2]).toEqual(["2.0rc1", wheels[3].filename, "py3-none-any", "-", "yes (do not use)", wheels[3].sha256.slice(0, 12), "yes"]);
  });

  it("--json gives full detail with sorted keys", async () => {
    const r = await runCli(["--store", join(dir, "store-json"), "index", "show", "Shown.Pkg", "--json", "--index-url", open.url], {
      env: env(),
      inheritEnv: false,
    });
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout);
    expect(Object.keys(data)).toEqual(["files", "findLinks", "indexes", "project", "strategy"]);
    expect(data).toMatchObject({ project: "shown-pkg", indexes: [open.url], strategy: "first-index" });
    const first = data.files[0];
    expect(Object.keys(first)).toEqual([...Object.keys(first)].sort());
    expect(first).toMatchObject({
      filename: wheels[1].filename,
      version: "10.0",
      kind: "wheel",
      tags: "cp311-cp311-manylinux_2_17_x86_64",
      hashes: { sha256: wheels[1].sha256 },
      size: wheels[1].size,
      yanked: false,
      url: `${open.origin}/files/${wheels[1].filename}`,
    });
    expect(first.coreMetadata.hashes.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("answers --offline from the store's cache after an online run, and names what is missing", async () => {
    const store = join(dir, "store-offline");
    expect(
      (await runCli(["--store", store, "index", "show", "shown-pkg", "--index-url", open.url], { env: env(), inheritEnv: false })).code,
    ).toBe(0);
    const before = open.requests.length;
    const offline = await runCli(["--store", store, "index", "show", "shown-pkg", "--offline", "--index-url", open.url], {
      env: env(),
      inheritEnv: false,
    });
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain(wheels[0].filename);
    const missing = await runCli(["--store", store, "index", "show", "other-pkg", "--offline", "--index-url", open.url], {
      env: env(),
      inheritEnv: false,
    });
    expect(missing.code).toBe(8);
    expect(missing.stderr).toContain(`error: offline: the project page for "other-pkg" from ${open.url} is not in the cache`);
    expect(open.requests.length).toBe(before);
  });

  it("lists --find-links directories and exits 4 for an unknown project", async () => {
    const r = await runCli(
      [
        "--store",
        join(dir, "store-fl"),
        "index",
        "show",
        "shown-pkg",
        "--index-url",
        open.url,
        "--find-links",
        join(dir, "wheels"),
        "--json",
      ],
      { env: env(), inheritEnv: false },
    );
    expect(r.code).toBe(0);
    // Same files (same hashes) from the index and the directory are listed once.
    expect(JSON.parse(r.stdout).files).toHaveLength(4);
    const missing = await runCli(["--store", join(dir, "store-fl"), "index", "show", "no-such-project", "--index-url", open.url], {
      env: env(),
      inheritEnv: false,
    });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toBe(
      `error: no index has a project named "no-such-project" (searched: ${open.url})\nhint: check the spelling, or add the index that serves it with --index-url/--extra-index-url\n`,
    );
  });

  it("reads credentials from ~/.netrc", async () => {
    const guarded = await startIndexServer({ wheels, auth: { username: "netrc-user", password: "netrc-pass" } });
    extra.push(guarded);
    mkdirSync(join(dir, "netrc-home"), { recursive: true });
    writeFileSync(join(dir, "netrc-home", ".netrc"), "machine 127.0.0.1 login netrc-user password netrc-pass\n");
    const r = await runCli(["--store", join(dir, "store-netrc"), "index", "show", "shown-pkg", "--index-url", guarded.url], {
      env: env({ HOME: join(dir, "netrc-home") }),
      inheritEnv: false,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(wheels[0].filename);
  });
});

describe("a project's [tool.pystore] index settings, as `lock` reads them", () => {
  let pinned: IndexServer;
  beforeAll(async () => {
    // A second index with only one of the files, so the listing shows which index answered.
    pinned = await startIndexServer({ wheels: [wheels[0]] });
    extra.push(pinned);
  });

  function project(name: string, tool: string): string {
    const root = join(dir, "projects", name);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, "pyproject.toml"), `[project]\nname = "${name}"\nversion = "0.1"\n\n[tool.pystore]\n${tool}\n`);
    return root;
  }

  it("uses the project's index-url when run in the project; the flag still wins", async () => {
    const root = project("configured", `index-url = "${pinned.url}"`);
    const store = join(dir, "store-project");
    const r = await runCli(["--store", store, "index", "show", "shown-pkg"], { cwd: root, env: env(), inheritEnv: false });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(`shown-pkg: 1 file from ${pinned.url}`);
    const flag = await runCli(["--store", store, "index", "show", "shown-pkg", "--index-url", open.url], {
      cwd: root,
      env: env(),
      inheritEnv: false,
    });
    expect(flag.code, flag.stderr).toBe(0);
    expect(flag.stdout.split("\n")[0]).toBe(`shown-pkg: 4 files from ${open.url}`);
    // PYSTORE_INDEX_URL sits above the project's config too, as for `lock`.
    const fromEnv = await runCli(["--store", store, "index", "show", "shown-pkg", "--json"], {
      cwd: root,
      env: env({ PYSTORE_INDEX_URL: open.url }),
      inheritEnv: false,
    });
    expect(JSON.parse(fromEnv.stdout).indexes).toEqual([open.url]);
  });

  it("honours index-pins with --project: only the pinned index is asked", async () => {
    const root = project(
      "pinned",
      `index-url = "${open.url}"\nindex-pins = { "Shown_Pkg" = "${pinned.url.replace("http://", "http://pin-user:pin-secret@")}" }`,
    );
    const before = open.requests.length;
    const r = await runCli(["--store", join(dir, "store-pins"), "index", "show", "shown.pkg", "--project", root], {
      env: env(),
      inheritEnv: false,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(`shown-pkg: 1 file from ${pinned.url} (pinned by [tool.pystore] index-pins)`);
    expect(r.stdout).toContain(wheels[0].filename);
    const json = await runCli(["--store", join(dir, "store-pins"), "index", "show", "shown-pkg", "--project", root, "--json"], {
      env: env(),
      inheritEnv: false,
    });
    const data = JSON.parse(json.stdout);
    expect(data).toMatchObject({ indexes: [open.url], pinnedTo: pinned.url });
    expect(data.files.map((f: { filename: string }) => f.filename)).toEqual([wheels[0].filename]);
    expect(open.requests.slice(before).filter((q) => q.path.includes("shown"))).toEqual([]);
    expect(r.stdout + r.stderr + json.stdout + json.stderr).not.toContain("pin-secret");
    // An unpinned project still comes from the configured index.
    const other = await runCli(["--store", join(dir, "store-pins"), "index", "show", "other-pkg", "--project", root], {
      env: env(),
      inheritEnv: false,
    });
    expect(other.code).toBe(4);
    expect(other.stderr).toContain(`(searched: ${open.url})`);
  });

  it("honours no-index with find-links relative to the project, and explains a miss", async () => {
    const root = project("offline-dir", `no-index = true\nfind-links = ["wheels"]\nindex-url = "http://127.0.0.1:9/simple/"`);
    mkdirSync(join(root, "wheels"));
    writeFileSync(join(root, "wheels", wheels[0].filename), readFileSync(wheels[0].path));
    const r = await runCli(["--store", join(dir, "store-noindex"), "index", "show", "shown-pkg", "--project", root, "--json"], {
      env: env(),
      inheritEnv: false,
    });
    expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout);
    expect(data.indexes).toEqual([]);
    expect(data.findLinks).toEqual([pathToFileURL(join(root, "wheels")).toString()]);
    expect(data.files.map((f: { filename: string }) => f.filename)).toEqual([wheels[0].filename]);
    const missing = await runCli(["--store", join(dir, "store-noindex"), "index", "show", "absent-pkg", "--project", root], {
      env: env(),
      inheritEnv: false,
    });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain(
      `error: no --find-links source has a project named "absent-pkg" (--no-index; searched: ${pathToFileURL(join(root, "wheels"))})`,
    );
    expect(missing.stderr).toContain("or drop --no-index");
  });

  it("rejects a --project that does not exist and a malformed [tool.pystore]", async () => {
    const gone = await runCli(["index", "show", "shown-pkg", "--project", join(dir, "projects", "nope")], {
      env: env(),
      inheritEnv: false,
    });
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/project directory .* does not exist/);
    const bad = await runCli(["index", "show", "shown-pkg"], {
      cwd: project("bad", `index-pins = ["shown-pkg"]`),
      env: env(),
      inheritEnv: false,
    });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/tool\.pystore\.index-pins must be a table/);
  });
});

describe("HTTPS with a private CA", () => {
  it("works with --cert or SSL_CERT_FILE, and explains an unknown issuer", async () => {
    const secure = await startIndexServer({ wheels, https: true });
    extra.push(secure);
    const store = join(dir, "store-tls");
    const withCert = await runCli(["--store", store, "index", "show", "shown-pkg", "--index-url", secure.url, "--cert", secure.caPath!], {
      env: env(),
      inheritEnv: false,
    });
    expect(withCert.code).toBe(0);
    expect(withCert.stdout).toContain(wheels[0].filename);
    const withEnv = await runCli(["--store", store, "index", "show", "shown-pkg", "--json", "--index-url", secure.url], {
      env: env({ SSL_CERT_FILE: secure.caPath }),
      inheritEnv: false,
    });
    expect(withEnv.code).toBe(0);
    const without = await runCli(["--store", store, "index", "show", "shown-pkg", "--index-url", secure.url], {
      env: env(),
      inheritEnv: false,
    });
    expect(without.code).toBe(5);
    expect(without.stderr).toMatch(new RegExp(`^error: TLS: cannot verify the certificate of ${secure.url}shown-pkg/ \\(`));
    expect(without.stderr).toContain(
      "hint: if your index or proxy uses a private CA, pass its PEM file with --cert FILE or SSL_CERT_FILE=FILE\n",
    );
  });
});

describe("credential canary", () => {
  let proxy: Tinyproxy;
  afterAll(async () => {
    await proxy?.close();
  });

  it("never prints or stores the index or proxy credentials, on success or failure, even with --verbose", async () => {
    const token = `canary${randomBytes(12).toString("hex")}`;
    const proxyToken = `pcanary${randomBytes(12).toString("hex")}`;
    const guarded = await startIndexServer({ wheels, auth: { username: "ci", password: token } });
    extra.push(guarded);
    proxy = await startTinyproxy({ auth: { username: "proxy", password: proxyToken } });
    const indexWithToken = guarded.url.replace("http://", `http://ci:${token}@`);
    const indexWithWrong = guarded.url.replace("http://", `http://ci:${token}x@`);
    const proxyWithToken = `http://proxy:${proxyToken}@127.0.0.1:${proxy.port}`;
    const store = join(dir, "store-canary");
    const runs = [
      await runCli(["-v", "--store", store, "index", "show", "shown-pkg", "--index-url", indexWithToken], {
        env: env(),
        inheritEnv: false,
      }),
      await runCli(
        ["-v", "--store", store, "index", "show", "shown-pkg", "--json", "--index-url", indexWithToken, "--proxy", proxyWithToken],
        { env: env(), inheritEnv: false },
      ),
      await runCli(["-v", "--store", store, "index", "show", "no-such", "--index-url", indexWithToken], { env: env(), inheritEnv: false }),
      await runCli(["-v", "--store", store, "index", "show", "shown-pkg", "--index-url", indexWithWrong], {
        env: env(),
        inheritEnv: false,
      }),
      await runCli(
        ["-v", "--store", store, "index", "show", "shown-pkg", "--index-url", indexWithToken, "--proxy", `http://127.0.0.1:${proxy.port}`],
        { env: env({ PYSTORE_DEBUG: "1" }), inheritEnv: false },
      ),
      // tinyproxy answers wrong proxy credentials with 401 (not 407).
      await runCli(
        [
          "-v",
          "--store",
          store,
          "index",
          "show",
          "shown-pkg",
          "--index-url",
          indexWithToken,
          "--proxy",
          `http://proxy:${proxyToken}x@127.0.0.1:${proxy.port}`,
        ],
        { env: env({ PYSTORE_DEBUG: "1" }), inheritEnv: false },
      ),
      await runCli(["-v", "--store", store, "index", "show", "shown-pkg", "--offline", "--index-url", indexWithToken], {
        env: env(),
        inheritEnv: false,
      }),
    ];
    expect(runs.map((r) => r.code)).toEqual([0, 0, 4, 5, 5, 5, 0]);
    expect(runs[3].stderr).toContain("answered 401");
    expect(runs[4].stderr).toContain("requires authentication (407)");
    expect(runs[5].stderr).toContain(`the request went through the proxy http://****@127.0.0.1:${proxy.port}/`);
    expect(proxy.readLog()).toContain(`GET ${guarded.url}shown-pkg/`);
    for (const r of runs) {
      expect(r.stdout + r.stderr).not.toContain(token);
      expect(r.stdout + r.stderr).not.toContain(proxyToken);
    }
    // Nor in any byte the store wrote (the HTTP cache lives there).
    const files = readdirSync(store, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const bytes = readFileSync(join(f.parentPath ?? (f as unknown as { path: string }).path, f.name));
      expect(bytes.includes(token)).toBe(false);
      expect(bytes.includes(proxyToken)).toBe(false);
    }
  });
});
