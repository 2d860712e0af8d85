// A bundle's executables: [project.scripts], [tool.pystore.scripts] (script files or object references),
// and with --dep-scripts the dependencies' console_scripts and their `#!python` .data/scripts files.

import { PystoreError } from "../errors.js";
import type { Logger } from "../util/log.js";
import { byName, compareStrings } from "../util/order.js";
import { parseObjectReference } from "../wheel/entry-points.js";
import type { InstalledWheel } from "../install/core.js";
import { scriptBundlePath, type ProjectInfo } from "./app-code.js";

export type Executable =
  | { name: string; kind: "entry"; module: string; attr?: string; origin: string }
  | {
      name: string;
      kind: "script";
      /** bundle-relative */
      path: string;
      /** Absolute, in the project: copied into the bundle. Undefined for a wheel's script, installed already. */
      source?: string;
      origin: string;
    };

const EXECUTABLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** `thing = "bin/thing.py"` is a script file; `thing = "pkg.mod:func"` an object reference. */
function isScriptFile(value: string): boolean {
  return value.includes("/") || value.endsWith(".py");
}

function checkName(name: string, origin: string): void {
  if (!EXECUTABLE_NAME.test(name) || name === "." || name === "..") {
    throw new PystoreError("INVALID_PYPROJECT", `${origin}: executable name ${JSON.stringify(name)} cannot be a file name in bin/`, {
      hint: "use letters, digits, '.', '_', '+' and '-'",
    });
  }
}

export function collectExecutables(
  project: ProjectInfo | undefined,
  installed: InstalledWheel[],
  opts: { depScripts: boolean; log: Pick<Logger, "warn"> },
): Executable[] {
  const result = new Map<string, Executable>();
  const add = (exe: Executable) => {
    const existing = result.get(exe.name);
    if (existing) {
      opts.log.warn(`executable ${JSON.stringify(exe.name)} from ${exe.origin} is shadowed by the one from ${existing.origin}`);
      return;
    }
    result.set(exe.name, exe);
  };
  if (project) {
    // [tool.pystore.scripts] wins over [project.scripts]: it is the bundle-specific override.
    for (const [name, value] of Object.entries(project.toolScripts).sort(([a], [b]) => compareStrings(a, b))) {
      const origin = "[tool.pystore.scripts]";
      checkName(name, origin);
      if (isScriptFile(value)) {
        const source = `${project.dir}/${value}`;
        add({ name, kind: "script", path: scriptBundlePath(project, value, origin), source, origin });
      } else {
        add({ name, kind: "entry", ...parseObjectReference(value, `${origin} ${name}`), origin });
      }
    }
    for (const [name, value] of Object.entries(project.projectScripts).sort(([a], [b]) => compareStrings(a, b))) {
      const origin = "[project.scripts]";
      checkName(name, origin);
      add({ name, kind: "entry", ...parseObjectReference(value, `${origin} ${name}`), origin });
    }
  }
  if (opts.depScripts) {
    const wheels = [...installed].sort(byName);
    for (const wheel of wheels) {
      for (const ep of wheel.entryPoints) {
        if (ep.group !== "console_scripts" && ep.group !== "gui_scripts") continue;
        const origin = `${wheel.name} ${wheel.version} (${ep.group})`;
        if (!EXECUTABLE_NAME.test(ep.name)) {
          opts.log.warn(`skipping ${origin} entry point ${JSON.stringify(ep.name)}: not a usable file name`);
          continue;
        }
        add({ name: ep.name, kind: "entry", module: ep.module, ...(ep.attr === undefined ? {} : { attr: ep.attr }), origin });
      }
      // pip puts these on PATH as they are; here they run through the bootstrap, which gives them the
      // bundle's sys.path (their `#!/usr/bin/env python3` line alone would not).
      for (const path of wheel.pythonScripts ?? []) {
        const name = path.slice(path.lastIndexOf("/") + 1);
        const origin = `${wheel.name} ${wheel.version} (.data/scripts)`;
        if (!EXECUTABLE_NAME.test(name)) {
          opts.log.warn(`skipping ${origin} script ${JSON.stringify(name)}: not a usable file name`);
          continue;
        }
        add({ name, kind: "script", path, origin });
      }
    }
  }
  return [...result.values()].sort(byName);
}
