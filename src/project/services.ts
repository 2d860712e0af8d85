// [tool.pystore.services]: which executables run as systemd services and how (docs/bundles.md). Only the
// syntax is checked here; whether each key names a bundle executable is known only once wheels are installed.

import { PystoreError } from "../errors.js";

export type ServiceType = "exec" | "notify" | "oneshot";

export interface PyprojectService {
  type: ServiceType;
  description?: string;
  user?: string;
  group?: string;
  /** Variable name → value, for Environment=. */
  environment: Record<string, string>;
  /** Absolute paths for EnvironmentFile=; a leading "-" means "ignore if missing", as in systemd. */
  environmentFiles: string[];
  /** Names under /var/lib for StateDirectory=. */
  stateDirectories: string[];
  /** Absolute paths for ReadWritePaths=. */
  readWritePaths: string[];
  execStop?: string;
  execReload?: string;
}

const TYPES: readonly ServiceType[] = ["exec", "notify", "oneshot"];
const KEYS = [
  "type",
  "description",
  "user",
  "group",
  "environment",
  "environment-file",
  "state-directory",
  "read-write-paths",
  "exec-stop",
  "exec-reload",
];
/** systemd accepts more, but these need no quoting in any unit setting, which keeps the units plain. */
const SAFE_PATH_CHARS = /^[A-Za-z0-9._/+@-]+$/;
export const SAFE_USER = /^[A-Za-z_][A-Za-z0-9_-]*\$?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

function invalid(path: string, key: string, message: string): PystoreError {
  return new PystoreError("INVALID_PYPROJECT", `${path}: ${key} ${message}`, {
    hint: 'see "[tool.pystore.services]" in docs/bundles.md',
  });
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function text(value: unknown, path: string, key: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "" || CONTROL.test(value))
    throw invalid(path, key, "must be a non-empty string on one line");
  return value;
}

function oneOrMany(value: unknown, path: string, key: string): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.some((v) => typeof v !== "string")) throw invalid(path, key, "must be a string or an array of strings");
  return list as string[];
}

function absolutePath(value: string, path: string, key: string, optional: boolean): string {
  const bare = optional && value.startsWith("-") ? value.slice(1) : value;
  if (!bare.startsWith("/") || !SAFE_PATH_CHARS.test(bare) || bare.split("/").includes(".."))
    throw invalid(path, key, `${JSON.stringify(value)} must be an absolute path without spaces or "..", e.g. /srv/app`);
  return value;
}

function parseService(name: string, raw: unknown, path: string): PyprojectService {
  const where = `tool.pystore.services.${name}`;
  if (!isTable(raw)) throw invalid(path, where, 'must be a table, e.g. [tool.pystore.services.web] with type = "exec"');
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) throw invalid(path, `${where}.${key}`, `is not a known key (known: ${KEYS.join(", ")})`);
  }
  const type = raw.type ?? "exec";
  if (typeof type !== "string" || !TYPES.includes(type as ServiceType))
    throw invalid(path, `${where}.type`, `${JSON.stringify(type)} must be one of ${TYPES.map((t) => `"${t}"`).join(", ")}`);
  const user = text(raw.user, path, `${where}.user`);
  if (user !== undefined && !SAFE_USER.test(user)) throw invalid(path, `${where}.user`, `${JSON.stringify(user)} is not a valid user name`);
  const group = text(raw.group, path, `${where}.group`);
  if (group !== undefined && !SAFE_USER.test(group))
    throw invalid(path, `${where}.group`, `${JSON.stringify(group)} is not a valid group name`);
  const environment: Record<string, string> = {};
  if (raw.environment !== undefined) {
    if (!isTable(raw.environment)) throw invalid(path, `${where}.environment`, 'must be a table, e.g. environment = { PORT = "8080" }');
    for (const [variable, value] of Object.entries(raw.environment)) {
      const key = `${where}.environment.${variable}`;
      if (!ENV_NAME.test(variable)) throw invalid(path, key, "is not a valid environment variable name");
      if (typeof value !== "string" || CONTROL.test(value)) throw invalid(path, key, "must be a string on one line");
      environment[variable] = value;
    }
  }
  const stateDirectories = oneOrMany(raw["state-directory"], path, `${where}.state-directory`).map((dir) => {
    if (dir.startsWith("/") || !SAFE_PATH_CHARS.test(dir) || dir.split("/").some((p) => p === ".." || p === "." || p === ""))
      throw invalid(path, `${where}.state-directory`, `${JSON.stringify(dir)} must be a relative name under /var/lib, e.g. "myapp"`);
    return dir;
  });
  return {
    type: type as ServiceType,
    description: text(raw.description, path, `${where}.description`),
    user,
    group,
    environment,
    environmentFiles: oneOrMany(raw["environment-file"], path, `${where}.environment-file`).map((f) =>
      absolutePath(f, path, `${where}.environment-file`, true),
    ),
    stateDirectories,
    readWritePaths: oneOrMany(raw["read-write-paths"], path, `${where}.read-write-paths`).map((p) =>
      absolutePath(p, path, `${where}.read-write-paths`, true),
    ),
    execStop: text(raw["exec-stop"], path, `${where}.exec-stop`),
    execReload: text(raw["exec-reload"], path, `${where}.exec-reload`),
  };
}

/** The services table, or undefined when the project has none (then every executable gets a unit). */
export function parseServices(value: unknown, path: string): Record<string, PyprojectService> | undefined {
  if (value === undefined) return undefined;
  if (!isTable(value)) throw invalid(path, "tool.pystore.services", "must be a table of executable name → service table");
  const services: Record<string, PyprojectService> = {};
  for (const [name, raw] of Object.entries(value)) services[name] = parseService(name, raw, path);
  return services;
}
