// Index settings as lock inputs: [tool.pystore] index keys and pins, their precedence against flags,
// requirements files and PYSTORE_* variables, and how the [tool.pystore] lock table records them.

import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { indexRequest, type LockFlags, lockRequest } from "../../src/commands/settings.js";
import { gatherInputs as gatherRequest } from "../../src/lock/gather.js";
import { indexSettings as mergeIndexSettings, readProject } from "../../src/lock/index-config.js";
import { inputsTable } from "../../src/lock/inputs.js";
import { parsePyproject } from "../../src/project/pyproject.js";

let dir: string;

// The flags as commander hands them over, through the one parser (src/commands/settings.ts).
const gatherInputs = (args: string[], flags: LockFlags, cwd: string, env: NodeJS.ProcessEnv) =>
  gatherRequest(lockRequest(args, flags, env), cwd, env);
const indexSettings = (flags: LockFlags, env: NodeJS.ProcessEnv, sources: Parameters<typeof mergeIndexSettings>[1] = {}) =>
  mergeIndexSettings(indexRequest(flags, env), sources);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pystore-index-config-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TOOL = `[project]
name = "app"
version = "1"
dependencies = ["internal-lib", "requests"]

[tool.pystore]
targets = [{platform = "manylinux_x86_64", python = "3.11"}]
index-url = "https://config.test/simple/"
extra-index-urls = ["https://config-extra.test/simple/"]
find-links = ["wheels"]
index-strategy = "unsafe-best-match"
index-pins = { "Internal_Lib" = "https://user:token@nexus.test/simple/" }
libs = ["src"]
`;

/** TOOL's index settings as read: pin names canonical, credentials kept (they are stripped only when recorded). */
const TOOL_INDEX = {
  indexUrl: "https://config.test/simple/",
  extraIndexUrls: ["https://config-extra.test/simple/"],
  findLinks: ["wheels"],
  indexStrategy: "unsafe-best-match",
  noIndex: false,
  indexPins: { "internal-lib": "https://user:token@nexus.test/simple/" },
};

async function projectDir(name: string, pyproject: string, files: Record<string, string> = {}): Promise<string> {
  const root = join(dir, name);
  await mkdir(root, { recursive: true });
  await writeFile(join(root, "pyproject.toml"), pyproject);
  for (const [path, text] of Object.entries(files)) await writeFile(join(root, path), text);
  return root;
}

describe("[tool.pystore] index keys", () => {
  it("parses them, canonicalizes pin names and keeps other keys apart", () => {
    const p = parsePyproject(TOOL, "pyproject.toml");
    expect(p.index).toEqual(TOOL_INDEX);
    expect(p.libs).toEqual(["src"]);
    expect(p.tool).toEqual({});
  });

  it.each([
    ['index-pins = ["x"]', /index-pins must be a table/],
    ['index-pins = { "bad name!" = "https://x/simple/" }', /not a valid project name/],
    ["index-pins = { a = 1 }", /index-pins\.a must be an index URL/],
    ['index-pins = { "A_b" = "https://1/", "a-B" = "https://2/" }', /pins "a-b" twice/],
    ['no-index = "yes"', /no-index must be true or false/],
    ['index-strategy = "best"', /index-strategy "best"/],
    ["index-url = 3", /index-url must be a non-empty string/],
  ])("rejects %s", (line, message) => {
    expect(() => parsePyproject(`[tool.pystore]\n${line}\n`, "p.toml")).toThrow(
      expect.objectContaining({ code: "INVALID_PYPROJECT", message: expect.stringMatching(message) }),
    );
  });
});

describe("precedence", () => {
  it("config applies when nothing else is given; extras and find-links add up", async () => {
    const root = await projectDir("config-only", TOOL);
    const { inputs } = await gatherInputs([], {}, root, {});
    expect(inputs).toMatchObject(TOOL_INDEX);
  });

  it("flag > requirements file > PYSTORE_INDEX_URL > config for the index URL", async () => {
    const root = await projectDir("layers", TOOL, {
      "reqs.txt": "-i https://file.test/simple/\n--extra-index-url https://file-extra.test/simple/\n-f more\nrequests\n",
    });
    const env = { PYSTORE_INDEX_URL: "https://env.test/simple/", PYSTORE_EXTRA_INDEX_URL: "https://env-extra.test/simple/" };
    const base = { project: root };
    expect((await gatherInputs([], base, root, env)).inputs.indexUrl).toBe("https://env.test/simple/");
    const withFile = (await gatherInputs([], { ...base, requirement: ["reqs.txt"] }, root, env)).inputs;
    expect(withFile.indexUrl).toBe("https://file.test/simple/");
    expect(withFile.extraIndexUrls).toEqual([
      "https://env-extra.test/simple/",
      "https://file-extra.test/simple/",
      "https://config-extra.test/simple/",
    ]);
    expect(withFile.findLinks).toEqual(["more", "wheels"]);
    const withFlag = (
      await gatherInputs(
        [],
        {
          ...base,
          requirement: ["reqs.txt"],
          indexUrl: "https://flag.test/simple/",
          extraIndexUrl: ["https://flag-extra.test/simple/"],
          indexStrategy: "first-index",
        },
        root,
        env,
      )
    ).inputs;
    expect(withFlag.indexUrl).toBe("https://flag.test/simple/");
    // The flag replaces the variable (they are the same setting); the files' and config's still add.
    expect(withFlag.extraIndexUrls).toEqual([
      "https://flag-extra.test/simple/",
      "https://file-extra.test/simple/",
      "https://config-extra.test/simple/",
    ]);
    expect(withFlag.indexStrategy).toBe("first-index");
  });

  it("no-index comes from the flag, PYSTORE_NO_INDEX, a requirements-file line or the config", async () => {
    const root = await projectDir("no-index", TOOL, { "plain.txt": "requests\n", "noindex.txt": "--no-index\nrequests\n" });
    expect((await gatherInputs([], { project: root }, root, {})).inputs.noIndex).toBe(false);
    expect((await gatherInputs([], { project: root, index: false }, root, {})).inputs.noIndex).toBe(true);
    expect((await gatherInputs([], { project: root }, root, { PYSTORE_NO_INDEX: "1" })).inputs.noIndex).toBe(true);
    expect((await gatherInputs([], { project: root, requirement: ["noindex.txt"] }, root, {})).inputs.noIndex).toBe(true);
    const configured = await projectDir("no-index-config", TOOL.replace("index-url =", "no-index = true\nindex-url ="));
    expect((await gatherInputs([], {}, configured, {})).inputs.noIndex).toBe(true);
  });
});

describe("indexSettings without requirements files (what `index show` uses)", () => {
  it("gives gatherInputs' answer for the same flags, variables and project", async () => {
    const root = await projectDir("shared", TOOL);
    const env = { PYSTORE_EXTRA_INDEX_URL: "https://env-extra.test/simple/" };
    const flags = { findLinks: ["cli-wheels"] };
    const { inputs } = await gatherInputs([], { project: root, ...flags }, root, env);
    const { pyproject } = await readProject(root, root);
    const settings = indexSettings(flags, env, { config: pyproject?.index });
    expect(settings).toEqual({
      indexUrl: inputs.indexUrl,
      extraIndexUrls: inputs.extraIndexUrls,
      findLinks: inputs.findLinks,
      indexStrategy: inputs.indexStrategy,
      noIndex: inputs.noIndex,
      indexPins: inputs.indexPins,
    });
    expect(settings).toMatchObject({
      indexUrl: "https://config.test/simple/",
      findLinks: ["cli-wheels", "wheels"],
      indexPins: TOOL_INDEX.indexPins,
    });
  });

  it("falls back to PyPI and first-index outside a project, and rejects a missing --project", async () => {
    expect(indexSettings({}, {})).toEqual({
      indexUrl: "https://pypi.org/simple/",
      extraIndexUrls: [],
      findLinks: [],
      indexStrategy: "first-index",
      noIndex: false,
      indexPins: {},
    });
    await expect(readProject("does-not-exist", dir)).rejects.toMatchObject({ code: "FILE_NOT_FOUND" });
    expect((await readProject(undefined, dir)).pyproject).toBeUndefined();
  });
});

describe("the lock's [tool.pystore] table", () => {
  it("records pins (credentials stripped, sorted) and, with no-index, drops the ignored index URLs", async () => {
    const root = await projectDir("table", TOOL.replace("index-pins = {", 'index-pins = { "zeta" = "https://z.test/simple/", '));
    const { inputs } = await gatherInputs([], {}, root, {});
    const table = inputsTable(inputs);
    expect(table["index-pins"]).toEqual({ "internal-lib": "https://nexus.test/simple/", zeta: "https://z.test/simple/" });
    expect(Object.keys(table["index-pins"] as object)).toEqual(["internal-lib", "zeta"]);
    expect(table["no-index"]).toBeUndefined();
    expect(table["index-url"]).toBe("https://config.test/simple/");

    const noIndex = inputsTable({ ...inputs, noIndex: true });
    expect(noIndex["no-index"]).toBe(true);
    expect(noIndex["index-url"]).toBeUndefined();
    expect(noIndex["extra-index-urls"]).toBeUndefined();
    expect(noIndex["index-pins"]).toBeUndefined();
    expect(noIndex["find-links"]).toEqual(["wheels"]);
  });

  it("writes neither key when unused, so older locks stay fresh", async () => {
    const root = await projectDir(
      "plain",
      '[project]\nname = "p"\nversion = "1"\ndependencies = ["x"]\n[tool.pystore]\ntargets = [{platform = "manylinux_x86_64", python = "3.11"}]\n',
    );
    const table = inputsTable((await gatherInputs([], {}, root, {})).inputs);
    expect("index-pins" in table).toBe(false);
    expect("no-index" in table).toBe(false);
    expect(table["index-url"]).toBe("https://pypi.org/simple/");
  });
});
