// What a command pays once instead of several times: the settings' files are parsed once per text (an
// edit is still seen, and no caller can change what the next one gets), pyproject.toml's parse is handed
// from the settings to the project reader, and better-sqlite3's addon is found without its own search.

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProjectLayers } from "../../src/config/load.js";
import { PystoreError } from "../../src/errors.js";
import { readPyproject } from "../../src/project/pyproject.js";
import { nodeGypAddon } from "../../src/util/native-addon.js";
import { offerParsed, takeParsed } from "../../src/util/parsed-once.js";

let dir: string;
const env = { HOME: "/nonexistent-home" };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pystore-settings-cache-"));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const pyproject = (urls: string[]) =>
  `[project]\nname = "app"\nversion = "1.0"\ndependencies = ["dep>=1"]\n\n[tool.pystore]\nextra-index-urls = ${JSON.stringify(urls)}\n`;

const extraUrls = (project: string) => loadProjectLayers(project, env)[0]?.values.get("extra-index-urls");

describe("the settings' files, read again", () => {
  it("give what the file says now, and nothing a caller changed", async () => {
    const project = join(dir, "edited");
    await mkdir(project);
    await writeFile(join(project, "pyproject.toml"), pyproject(["https://a.example/simple/"]));
    const first = extraUrls(project) as string[];
    expect(first).toEqual(["https://a.example/simple/"]);
    first.push("https://changed-by-a-caller.example/");
    expect(extraUrls(project)).toEqual(["https://a.example/simple/"]);

    await writeFile(join(project, "pyproject.toml"), pyproject(["https://b.example/simple/"]));
    expect(extraUrls(project)).toEqual(["https://b.example/simple/"]);
  });

  it("hand pyproject.toml's parse to the project reader, once", async () => {
    const project = join(dir, "handed");
    await mkdir(project);
    const text = pyproject(["https://c.example/simple/"]);
    const path = join(project, "pyproject.toml");
    await writeFile(path, text);
    loadProjectLayers(project, env);
    const offered = takeParsed(path, text);
    expect(offered).toMatchObject({ project: { name: "app" } });
    offerParsed(path, text, offered);
    const read = await readPyproject(project);
    expect(read?.dependencies).toEqual(["dep>=1"]);
    expect(read?.index.extraIndexUrls).toEqual(["https://c.example/simple/"]);
    // The reader took it: nothing is left on offer, and what it got is its own to change.
    expect(takeParsed(path, text)).toBeUndefined();
    read?.index.extraIndexUrls.push("https://changed-by-a-caller.example/");
    expect(extraUrls(project)).toEqual(["https://c.example/simple/"]);
  });
});

describe("a parse on offer", () => {
  it("is taken once, and only for the text it was made from", () => {
    const parsed = { a: 1 };
    offerParsed("/x/pyproject.toml", "a = 1\n", parsed);
    expect(takeParsed("/x/pyproject.toml", "a = 2\n")).toBeUndefined();
    expect(takeParsed("/x/pyproject.toml", "a = 1\n")).toBeUndefined();
    offerParsed("/x/pyproject.toml", "a = 1\n", parsed);
    expect(takeParsed("/y/pyproject.toml", "a = 1\n")).toBeUndefined();
    expect(takeParsed("/x/pyproject.toml", "a = 1\n")).toBe(parsed);
    expect(takeParsed("/x/pyproject.toml", "a = 1\n")).toBeUndefined();
  });
});

describe("better-sqlite3's addon", () => {
  it("is the build next to the package better-sqlite3 resolves to", () => {
    const path = nodeGypAddon("better-sqlite3", "better_sqlite3.node", import.meta.url);
    expect(path).toMatch(/node_modules\/better-sqlite3\/build\/(Release|Debug)\/better_sqlite3\.node$/);
  });

  it("missing, is an installation to repair, naming where it was looked for", () => {
    let error: unknown;
    try {
      nodeGypAddon("better-sqlite3", "no_such_addon.node", import.meta.url);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PystoreError);
    expect((error as PystoreError).code).toBe("INTERNAL");
    expect((error as PystoreError).message).toMatch(/build\/Release\/no_such_addon\.node.*build\/Debug\/no_such_addon\.node/);
    expect((error as PystoreError).hint).toContain("npm rebuild better-sqlite3");
  });
});
