// Finding and reading the configuration files: the user's ($XDG_CONFIG_HOME/pystore/config.toml, else
// ~/.config/pystore/config.toml) and the project's (pystore.toml, pyproject.toml's [tool.pystore]).

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { PystoreError } from "../errors.js";
import { offerParsed } from "../util/parsed-once.js";
import { type FileKind, type Layer, readLayer } from "./layer.js";
import type { SettingValue } from "./keys.js";
import type { Sources } from "./resolve.js";

/** The home directory as the environment names it ($HOME), else the account's. */
export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME?.trim() || homedir();
}

/** Where the user file is looked for; XDG says a relative XDG_CONFIG_HOME is invalid and must be ignored. */
export function userConfigPath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME?.trim();
  const base = xdg && isAbsolute(xdg) ? xdg : join(homeDir(env), ".config");
  return join(base, "pystore", "config.toml");
}

/** PYSTORE_NO_CONFIG=1: ignore the user file (a CI job that must not depend on the machine's account). */
export function userConfigDisabled(env: NodeJS.ProcessEnv): boolean {
  const raw = env.PYSTORE_NO_CONFIG?.trim().toLowerCase();
  return raw !== undefined && raw !== "" && raw !== "0" && raw !== "false" && raw !== "no" && raw !== "off";
}

/** A file's text, or undefined when the file does not exist. */
function readText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new PystoreError("INVALID_CONFIG", `cannot read ${file}: ${(error as Error).message}`, { cause: error, details: { file } });
  }
}

function parseTomlText(text: string, file: string, kind: FileKind): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new PystoreError(
      kind === "pyproject" ? "INVALID_PYPROJECT" : "INVALID_CONFIG",
      `${file}: not valid TOML: ${(error as Error).message.split("\n")[0]}`,
      {
        details: { file },
      },
    );
  }
}

/**
 * Layers already read, by file and exact text: a command resolves settings several times (index, transport,
 * build), and each would otherwise parse the same files again. The text is read every time, so an edit
 * in between is seen.
 */
const layerCache = new Map<string, { text: string; layer: Layer | undefined }>();

/** A value no caller can change in the cache (settings hand out arrays and tables). */
function copied(value: SettingValue): SettingValue {
  return Array.isArray(value) ? [...value] : typeof value === "object" && value !== null ? { ...value } : value;
}

function copiedLayer(layer: Layer | undefined): Layer | undefined {
  return layer && { ...layer, values: new Map([...layer.values].map(([key, value]) => [key, copied(value)])) };
}

/**
 * The layer a file gives (undefined when it does not exist, or gives none); `table` picks the settings'
 * table out of the parsed file.
 */
function fileLayer(
  file: string,
  kind: FileKind,
  home: string,
  table: (doc: Record<string, unknown>, text: string) => Record<string, unknown> | undefined,
): Layer | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  const key = `${kind}\0${home}\0${file}`;
  const cached = layerCache.get(key);
  if (cached?.text === text) return copiedLayer(cached.layer);
  const found = table(parseTomlText(text, file, kind), text);
  // Copied: the parse may be handed on (offerParsed), and the cache must not share its arrays either.
  const layer = copiedLayer(found === undefined ? undefined : readLayer(found, { kind, file, home }));
  layerCache.set(key, { text, layer });
  return copiedLayer(layer);
}

/** The user file's layer, or undefined when there is none (or PYSTORE_NO_CONFIG is set). */
export function loadUserLayer(env: NodeJS.ProcessEnv): Layer | undefined {
  if (userConfigDisabled(env)) return undefined;
  return fileLayer(userConfigPath(env), "user", homeDir(env), (doc) => doc);
}

function toolTable(doc: Record<string, unknown>): Record<string, unknown> | undefined {
  const tool = doc.tool;
  if (typeof tool !== "object" || tool === null || Array.isArray(tool)) return undefined;
  const table = (tool as Record<string, unknown>).pystore;
  // A [tool.pystore] that is not a table is src/project/pyproject.ts's error to report.
  return typeof table === "object" && table !== null && !Array.isArray(table) ? (table as Record<string, unknown>) : undefined;
}

/** The project directory's layers: pystore.toml first, then pyproject.toml's [tool.pystore]; a key may be in one only. */
export function loadProjectLayers(projectDir: string, env: NodeJS.ProcessEnv): Layer[] {
  const home = homeDir(env);
  const layers: Layer[] = [];
  const own = join(projectDir, "pystore.toml");
  const ownLayer = fileLayer(own, "pystore-toml", home, (doc) => doc);
  if (ownLayer) layers.push(ownLayer);
  const pyproject = join(projectDir, "pyproject.toml");
  const tool = fileLayer(pyproject, "pyproject", home, (doc, text) => {
    // The project reader (src/project/pyproject.ts) parses this file too: it takes this parse instead.
    const table = toolTable(doc);
    offerParsed(pyproject, text, doc);
    return table;
  });
  if (tool) layers.push(tool);
  if (layers.length === 2) {
    const twice = [...layers[0].values.keys()].filter((key) => layers[1].values.has(key));
    if (twice.length > 0) {
      throw new PystoreError("INVALID_CONFIG", `${twice.map((k) => JSON.stringify(k)).join(", ")} is set in both ${own} and ${pyproject}`, {
        hint: "keep each setting in one of the two files",
        details: { file: own, key: twice[0] },
      });
    }
  }
  return layers;
}

/**
 * Everything a setting may come from, for one command: its flags, the environment, the project's files
 * (when `projectDir` is given) and the user's. `environment: false` leaves the variables and the user file
 * out (`lock --check`: what the project alone decides).
 */
export function loadSources(opts: {
  flags?: Sources["flags"];
  env: NodeJS.ProcessEnv;
  projectDir?: string;
  environment?: boolean;
  defaults?: Sources["defaults"];
}): Sources {
  const machine = opts.environment !== false;
  return {
    flags: opts.flags ?? {},
    env: machine ? opts.env : {},
    project: opts.projectDir === undefined ? [] : loadProjectLayers(opts.projectDir, opts.env),
    user: machine ? loadUserLayer(opts.env) : undefined,
    ...(opts.defaults ? { defaults: opts.defaults } : {}),
  };
}
