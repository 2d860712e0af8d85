// docs/commands.md is generated from the CLI definitions: this fails when it is out of date
// (`npm run docs:commands` rewrites it).

import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/main.js";
import { commandReference } from "../../src/cli/reference.js";

const PATH = join(import.meta.dirname, "..", "..", "docs", "commands.md");

describe("docs/commands.md", () => {
  it("matches the commands pystore defines", async () => {
    const text = commandReference(buildProgram({ exitCode: 0, json: false, held: "" }));
    if (process.env.PYSTORE_UPDATE_DOCS === "1") await writeFile(PATH, text);
    expect(await readFile(PATH, "utf8")).toBe(text);
  });

  it("has a section for every command, with its options", async () => {
    const text = await readFile(PATH, "utf8");
    for (const heading of ["## pystore lock", "## pystore bundle build", "## pystore store gc", "## pystore tree", "## pystore completion"])
      expect(text).toContain(`${heading}\n`);
    expect(text).toContain("| `--extra <name>` |");
  });
});
