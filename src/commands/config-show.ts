// `pystore config show [--json]`: every effective setting and where it came from (flag, variable, project
// file, user file or default), credentials masked.

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Handler } from "./context.js";
import { SETTING_BY_KEY, type SettingValue } from "../config/keys.js";
import { loadSources, userConfigDisabled, userConfigPath } from "../config/load.js";
import { type Effective, type Origin, resolveAll } from "../config/resolve.js";
import { resolveStoreDir } from "../store/location.js";
import { redactText, redactUrl } from "../util/redact.js";
import { sortKeysDeep } from "../util/stable-json.js";
import { type IndexFlags, flagValues } from "./settings.js";
import { columns } from "./store-common.js";

interface ConfigShowOptions extends IndexFlags {
  project?: string;
  jobs?: string;
  copy?: boolean;
  remoteStore?: string[];
  json?: boolean;
}

function masked(key: string, value: string): string {
  const kind = SETTING_BY_KEY.get(key)?.kind.type;
  return kind === "url" || kind === "urls" ? redactUrl(value) : redactText(value);
}

/** The value with every credential masked, in the shape --json prints. */
function shown(key: string, value: SettingValue | undefined): SettingValue | null {
  if (value === undefined) return null;
  if (typeof value === "string") return masked(key, value);
  if (Array.isArray(value)) return value.map((v) => masked(key, v));
  if (typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(key, v)]));
  return value;
}

function text(value: SettingValue | null): string {
  if (value === null) return "(none)";
  if (Array.isArray(value)) return value.length === 0 ? "(none)" : value.join(" ");
  if (typeof value === "object") {
    const pairs = Object.entries(value);
    return pairs.length === 0 ? "(none)" : pairs.map(([k, v]) => `${k}=${v}`).join(" ");
  }
  return String(value);
}

const originText = (origin: Origin): string =>
  origin.kind === "flag" || origin.kind === "env"
    ? `${origin.kind} ${origin.name}`
    : origin.kind === "default"
      ? "default"
      : `${origin.kind} ${origin.file}`;

const originFrom = (origin: Origin): string | null =>
  origin.kind === "flag" || origin.kind === "env" ? origin.name : origin.kind === "default" ? null : origin.file;

const handler: Handler<ConfigShowOptions> = async (_args, options, ctx) => {
  const projectDir = resolve(ctx.cwd, options.project ?? ".");
  const { PYSTORE_STORE: _, ...withoutStore } = ctx.env;
  const flags = { ...flagValues(options), "store-dir": ctx.global.store ? { name: "--store", value: ctx.global.store } : undefined };
  const sources = loadSources({
    flags,
    env: ctx.env,
    projectDir,
    defaults: { "store-dir": resolveStoreDir(undefined, withoutStore, ctx.cwd) },
  });
  const settings: Effective[] = resolveAll(sources).map((s) =>
    // --store and $PYSTORE_STORE are relative to the working directory, as the store commands take them.
    s.key === "store-dir" && (s.origin.kind === "flag" || s.origin.kind === "env")
      ? { ...s, value: resolve(ctx.cwd, s.value as string) }
      : s,
  );
  const userFile = userConfigPath(ctx.env);
  const files = {
    project: sources.project.map((layer) => layer.file),
    user: { path: userFile, exists: existsSync(userFile), ignored: userConfigDisabled(ctx.env) },
  };
  if (options.json) {
    const out = Object.fromEntries(
      settings.map((s) => [s.key, { from: originFrom(s.origin), origin: s.origin.kind, value: shown(s.key, s.value) }]),
    );
    ctx.out(JSON.stringify(sortKeysDeep({ files, settings: out }), null, 2));
    return 0;
  }
  const rows = [["SETTING", "VALUE", "SOURCE"], ...settings.map((s) => [s.key, text(shown(s.key, s.value)), originText(s.origin)])];
  const userState = files.user.ignored ? "ignored: PYSTORE_NO_CONFIG" : files.user.exists ? "read" : "not found";
  ctx.out(
    [
      columns(rows),
      "",
      `user file:     ${userFile} (${userState})`,
      `project files: ${files.project.length > 0 ? files.project.join(", ") : `(none in ${projectDir})`}`,
    ].join("\n"),
  );
  return 0;
};

export default handler;
