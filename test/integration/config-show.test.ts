// `pystore config show` and the configuration files through the built CLI: a temp HOME and XDG_CONFIG_HOME,
// a loopback index named only in the user file, and a canary credential that must never be printed.

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IndexServer, startIndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { runCli } from "../helpers/cli.js";
import { type TempDir, tempDir } from "../helpers/temp.js";

const CANARY = "CANARY-cfg-7f3a";
let work: TempDir;
let server: IndexServer;
let xdg: string;
let project: string;

beforeAll(async () => {
  work = await tempDir("config-show");
  const wheel = await buildWheel({ name: "configured", version: "1.0" }, join(work.path, "wheels"));
  server = await startIndexServer({ wheels: [wheel], auth: { username: "alice", password: CANARY } });
  xdg = join(work.path, "xdg");
  await mkdir(join(xdg, "pystore"), { recursive: true });
  project = join(work.path, "project");
  await mkdir(project);
  await writeFile(join(project, "pyproject.toml"), '[project]\nname = "app"\n\n[tool.pystore]\nread-timeout = 12\n');
  await writeFile(join(project, "pystore.toml"), "jobs = 6\n");
});

afterAll(async () => {
  await server?.close();
  await work?.cleanup();
});

const withCanary = () => server.url.replace("http://", `http://alice:${CANARY}@`);

async function userFile(text: string): Promise<void> {
  await writeFile(join(xdg, "pystore", "config.toml"), text);
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = project) {
  return runCli(args, {
    cwd,
    inheritEnv: false,
    env: { PATH: process.env.PATH, HOME: join(work.path, "home"), XDG_CONFIG_HOME: xdg, NO_COLOR: "1", ...env },
    timeoutMs: 60_000,
  });
}

describe("pystore config show", () => {
  it("names each setting's source: flag, variable, project file, user file, default", async () => {
    await userFile(`index-url = "${withCanary()}"\nretries = 4\nstore-dir = "~/store-from-user"\nconnect-timeout = 3\n`);
    const r = await cli(["config", "show", "--json", "--connect-timeout", "1.5"], { PYSTORE_RETRIES: "2" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { settings, files } = JSON.parse(r.stdout);
    const userPath = join(xdg, "pystore", "config.toml");
    expect(settings["connect-timeout"]).toEqual({ value: 1.5, origin: "flag", from: "--connect-timeout" });
    expect(settings.retries).toEqual({ value: 2, origin: "env", from: "PYSTORE_RETRIES" });
    expect(settings["read-timeout"]).toEqual({ value: 12, origin: "project", from: join(project, "pyproject.toml") });
    expect(settings.jobs).toEqual({ value: 6, origin: "project", from: join(project, "pystore.toml") });
    expect(settings["store-dir"]).toEqual({ value: join(work.path, "home", "store-from-user"), origin: "user", from: userPath });
    expect(settings["index-url"]).toEqual({ value: server.url.replace("http://", "http://****@"), origin: "user", from: userPath });
    expect(settings.concurrency).toEqual({ value: 8, origin: "default", from: null });
    expect(files).toEqual({
      project: [join(project, "pystore.toml"), join(project, "pyproject.toml")],
      user: { path: userPath, exists: true, ignored: false },
    });
    expect(r.stdout).not.toContain(CANARY);
  });

  it("prints a table a person can read, credentials masked", async () => {
    await userFile(`index-url = "${withCanary()}"\n`);
    const r = await cli(["config", "show"], { https_proxy: `http://bob:${CANARY}@proxy.test:3128` });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SETTING\s+VALUE\s+SOURCE$/m);
    expect(r.stdout).toMatch(/^proxy\s+http:\/\/\*\*\*\*@proxy\.test:3128\/?\s+env https_proxy$/m);
    expect(r.stdout).toMatch(/^index-url\s+http:\/\/\*\*\*\*@127\.0\.0\.1:\d+\/simple\/\s+user /m);
    expect(`${r.stdout}${r.stderr}`).not.toContain(CANARY);
  });

  it("PYSTORE_NO_CONFIG=1 ignores the user file", async () => {
    await userFile("retries = 4\n");
    const r = await cli(["config", "show", "--json"], { PYSTORE_NO_CONFIG: "1" });
    const { settings, files } = JSON.parse(r.stdout);
    expect(settings.retries.origin).toBe("default");
    expect(files.user.ignored).toBe(true);
  });
});

describe("the user file in real commands", () => {
  it("an index-url only in the user file is where index show looks (with its credentials)", async () => {
    await userFile(`index-url = "${withCanary()}"\n`);
    const r = await cli(["--store", join(work.path, "store"), "index", "show", "configured"], {}, work.path);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("configured-1.0-py3-none-any.whl");
    expect(`${r.stdout}${r.stderr}`).not.toContain(CANARY);
  });

  it("an unknown key stops any command that reads it, naming the file and suggesting the key", async () => {
    await userFile(`index_url = "${withCanary()}"\n`);
    const r = await cli(["config", "show", "--json"]);
    expect(r.code).toBe(EXIT.invalidInput);
    const { error } = JSON.parse(r.stdout);
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.message).toBe(`${join(xdg, "pystore", "config.toml")}: unknown key "index_url"; did you mean "index-url"?`);
    expect(r.stderr).toContain('did you mean "index-url"?');
    const lock = await cli(["lock", "configured", "--platform", "manylinux_x86_64", "--python", "3.11"]);
    expect(lock.code).toBe(EXIT.invalidInput);
    expect(lock.stderr).toContain('unknown key "index_url"');
    expect(`${r.stdout}${r.stderr}${lock.stdout}${lock.stderr}`).not.toContain(CANARY);
  });

  it("a key in the wrong file says where it belongs", async () => {
    await userFile('libs = ["src"]\n');
    const r = await cli(["config", "show"]);
    expect(r.code).toBe(EXIT.invalidInput);
    expect(r.stderr).toContain("libs is not allowed in the user configuration file");
    expect(r.stderr).toContain("hint: libs describes the project: it belongs in pyproject.toml's [tool.pystore]");
  });

  it("a value of the wrong type names the key and quotes the value, masked", async () => {
    await userFile(`extra-index-urls = "${withCanary()}"\n`);
    const r = await cli(["config", "show"]);
    expect(r.code).toBe(EXIT.invalidInput);
    expect(r.stderr).toContain("extra-index-urls must be an array of non-empty strings");
    expect(r.stderr).not.toContain(CANARY);
  });
});
