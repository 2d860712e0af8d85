// Template files shipped beside the code (src/bundle/launch/): read once relative to their module, with
// `{{key}}` placeholders and `# pystore:include FILE` lines filled and checked.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PystoreError } from "../errors.js";

const PLACEHOLDER = /\{\{([a-z_]+)\}\}/g;
// A Python comment, so an unfilled template still compiles and `py_compile` can check it.
const INCLUDE = /^# pystore:include ([\w.-]+)\n/gm;

const cache = new Map<string, string>();

function read(dir: URL, file: string): string {
  const url = new URL(file, dir);
  let text = cache.get(url.href);
  if (text === undefined) {
    try {
      text = readFileSync(url, "utf8");
    } catch (cause) {
      throw new PystoreError("INTERNAL", `template ${fileURLToPath(url)} is missing`, {
        hint: "this pystore was built without its template files: rebuild it with `npm run build`",
        cause,
      });
    }
    cache.set(url.href, text);
  }
  return text;
}

function templateError(file: string, message: string): PystoreError {
  return new PystoreError("INTERNAL", `template ${file}: ${message}`);
}

/**
 * `file` (in the directory `dir`) with its include lines replaced by the named files and every
 * placeholder by its value. A placeholder without a value, a value without a placeholder and a `{{` that
 * is no placeholder all throw: a template and the code filling it cannot drift apart silently.
 */
export function renderTemplate(dir: URL, file: string, values: Readonly<Record<string, string>>): string {
  const text = read(dir, file).replace(INCLUDE, (_line, name: string) => {
    const included = read(dir, name);
    if (/^# pystore:include /m.test(included)) throw templateError(file, `includes nest (${name} includes another file)`);
    return included;
  });
  const used = new Set<string>();
  let count = 0;
  // One pass over the template: inserted values are never scanned for placeholders themselves.
  const out = text.replace(PLACEHOLDER, (_match, key: string) => {
    count++;
    if (!Object.hasOwn(values, key)) throw templateError(file, `placeholder {{${key}}} has no value`);
    used.add(key);
    return values[key]!;
  });
  if (text.split("{{").length - 1 !== count) throw templateError(file, "malformed placeholder (expected {{lower_case}})");
  for (const key of Object.keys(values)) if (!used.has(key)) throw templateError(file, `has no placeholder {{${key}}}`);
  return out;
}
