// Template files shipped beside the code: placeholders are filled exactly, and a template and its values
// that disagree (an unknown placeholder, an unused value, a missing file) are refused.

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderTemplate } from "../../src/bundle/template.js";
import { tempDir } from "./helpers.js";

let dir: { path: string; cleanup: () => Promise<void> };
let base: URL;
beforeAll(async () => {
  dir = await tempDir("template");
  await mkdir(join(dir.path, "t"));
  base = pathToFileURL(join(dir.path, "t/"));
  await writeFile(join(dir.path, "t/hello.sh"), "echo {{greeting}} {{name}}; echo {{name}}\n");
  await writeFile(join(dir.path, "t/typo.sh"), "echo {{nmae}}\n");
  await writeFile(join(dir.path, "t/odd.sh"), "echo {{Name}}\n");
  await writeFile(join(dir.path, "t/part.py"), "X = 1\n");
  await writeFile(join(dir.path, "t/main.py"), "# head\n# pystore:include part.py\n\nprint(X)\n");
  await writeFile(join(dir.path, "t/nested.py"), "# pystore:include main.py\n");
});
afterAll(async () => {
  await dir?.cleanup();
});

describe("renderTemplate", () => {
  it("fills every placeholder, each value once per use, without re-reading inserted values", () => {
    expect(renderTemplate(base, "hello.sh", { greeting: "hi {{name}}", name: "'x'" })).toBe("echo hi {{name}} 'x'; echo 'x'\n");
  });

  it("replaces an include line by the named file of the same directory", () => {
    expect(renderTemplate(base, "main.py", {})).toBe("# head\nX = 1\n\nprint(X)\n");
  });

  it.each([
    ["hello.sh", { greeting: "hi" }, /placeholder \{\{name\}\} has no value/],
    ["hello.sh", { greeting: "hi", name: "n", extra: "e" }, /no placeholder \{\{extra\}\}/],
    ["typo.sh", { name: "n" }, /placeholder \{\{nmae\}\} has no value/],
    ["odd.sh", {}, /malformed placeholder/],
    ["nested.py", {}, /includes nest/],
    ["missing.sh", {}, /missing\.sh is missing/],
  ])("refuses %s with %j", (file, values, message) => {
    expect(() => renderTemplate(base, file, values)).toThrow(message);
    try {
      renderTemplate(base, file, values);
    } catch (error) {
      expect((error as { code?: string }).code).toBe("INTERNAL");
    }
  });
});
