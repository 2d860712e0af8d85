// --json on the commands that print data but had none: `store path`, `export requirements` and `serve`
// (whose one JSON line must come out at start, not when the server stops).

import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IndexServer, startIndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { PYSTORE_BIN, runCli } from "../helpers/cli.js";

let work: string;
let env: NodeJS.ProcessEnv;
let server: IndexServer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-json-"));
  server = await startIndexServer({ wheels: [await buildWheel({ name: "jsonpkg", version: "1.0" }, join(work, "wheels"))] });
  env = { PYSTORE_STORE: join(work, "store"), PYSTORE_INDEX_URL: server.url, SOURCE_DATE_EPOCH: "0" };
  await writeFile(join(work, "pyproject.toml"), `[project]\nname = "json-app"\nversion = "0"\ndependencies = ["jsonpkg"]\n`);
  const lock = await runCli(["lock", "--platform", "manylinux_x86_64", "--python", "3.11"], { env, cwd: work });
  expect(lock.code, lock.stderr).toBe(0);
  expect((await runCli(["fetch"], { env, cwd: work })).code).toBe(0);
});

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("--json", () => {
  it("store path", async () => {
    const r = await runCli(["store", "path", "--json"], { env });
    expect(JSON.parse(r.stdout)).toEqual({ path: join(work, "store") });
  });

  it("export requirements, with and without -o", async () => {
    const target = ["--platform", "manylinux_x86_64", "--python", "3.11"];
    const r = await runCli(["export", "requirements", ...target, "--json"], { env, cwd: work });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { target: string; requirements: { name: string; version: string; sha256: string }[] };
    expect(doc.target).toBe("manylinux_2_28_x86_64-cp311");
    expect(doc.requirements.map((q) => `${q.name}==${q.version}`)).toEqual(["jsonpkg==1.0"]);
    expect(doc.requirements[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    const written = await runCli(["export", "requirements", ...target, "-o", "req.txt", "--json"], { env, cwd: work });
    expect(JSON.parse(written.stdout).output).toBe(join(work, "req.txt"));
    expect(await readFile(join(work, "req.txt"), "utf8")).toContain(`--hash=sha256:${doc.requirements[0].sha256}`);
  });

  it("serve prints its URL as one JSON line at start", async () => {
    const child = spawn(process.execPath, [PYSTORE_BIN, "serve", "--json"], { env: { ...process.env, ...env } });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let buf = "";
        child.stdout.on("data", (d) => {
          buf += String(d);
          if (buf.includes("\n")) resolve(buf.split("\n")[0]);
        });
        child.on("exit", (code) => reject(new Error(`serve exited with ${code}`)));
        setTimeout(() => reject(new Error("no output from serve")), 20_000);
      });
      const doc = JSON.parse(line) as { url: string; wheels: number };
      expect(doc.wheels).toBe(1);
      expect(doc.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/simple\/$/);
      expect(await (await fetch(`${doc.url}jsonpkg/`)).text()).toContain("jsonpkg-1.0-py3-none-any.whl");
    } finally {
      child.kill("SIGTERM");
    }
  });
});
