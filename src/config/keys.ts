// The catalogue of pystore's settings: each key's type, flag, variables, which files may set it and its
// default (docs/configuration.md). One table, so `config show`, validation and resolution agree.

/** How a value is written and checked. */
export type SettingKind =
  | { type: "url" }
  | { type: "urls" }
  | { type: "path" }
  | { type: "paths" }
  | { type: "seconds" }
  | { type: "count"; min: number }
  | { type: "bool" }
  | { type: "choice"; choices: readonly string[] }
  | { type: "table" };

export type SettingValue = string | string[] | number | boolean | Record<string, string>;

/** Which configuration file may set a key. */
export type Scope = "user" | "project";

export interface SettingDef {
  /** The TOML key, as written in config.toml, pystore.toml and [tool.pystore]. */
  key: string;
  kind: SettingKind;
  /** The command-line flag (not every command declares it). */
  flag?: string;
  /** Variables, in the order they are consulted; the first set (non-empty) one counts. */
  env: readonly string[];
  scopes: readonly Scope[];
  /** Undefined: nothing (e.g. no proxy). */
  default?: SettingValue;
  /** "any": true when any source turns it on (--no-index, as pip and the lock have always read it). */
  merge?: "any";
  /** In a project, only pyproject.toml's [tool.pystore] (the lock reads and records it there), not pystore.toml. */
  pyprojectOnly?: boolean;
  summary: string;
}

const both: Scope[] = ["user", "project"];
const userOnly: Scope[] = ["user"];
const projectOnly: Scope[] = ["project"];

export const LINK_MODES = ["auto", "hardlink", "clone", "copy"] as const;
export const INDEX_STRATEGIES = ["first-index", "unsafe-best-match"] as const;

/** Every setting, in the order `config show` lists them. */
export const SETTINGS: readonly SettingDef[] = [
  { key: "store-dir", kind: { type: "path" }, flag: "--store", env: ["PYSTORE_STORE"], scopes: userOnly, summary: "the store directory" },
  {
    key: "index-url",
    kind: { type: "url" },
    flag: "--index-url",
    env: ["PYSTORE_INDEX_URL"],
    scopes: both,
    pyprojectOnly: true,
    default: "https://pypi.org/simple/",
    summary: "the primary simple index",
  },
  {
    key: "extra-index-urls",
    kind: { type: "urls" },
    flag: "--extra-index-url",
    env: ["PYSTORE_EXTRA_INDEX_URL"],
    scopes: both,
    pyprojectOnly: true,
    default: [],
    summary: "more indexes, after the primary one",
  },
  {
    key: "find-links",
    kind: { type: "paths" },
    flag: "--find-links",
    env: [],
    scopes: both,
    pyprojectOnly: true,
    default: [],
    summary: "directories or pages of wheels",
  },
  {
    key: "index-strategy",
    kind: { type: "choice", choices: INDEX_STRATEGIES },
    flag: "--index-strategy",
    env: [],
    scopes: both,
    pyprojectOnly: true,
    default: "first-index",
    summary: "how several indexes combine",
  },
  {
    key: "no-index",
    kind: { type: "bool" },
    flag: "--no-index",
    env: ["PYSTORE_NO_INDEX"],
    scopes: both,
    pyprojectOnly: true,
    default: false,
    merge: "any",
    summary: "consult no index, only find-links",
  },
  {
    key: "index-pins",
    kind: { type: "table" },
    env: [],
    scopes: projectOnly,
    default: {},
    pyprojectOnly: true,
    summary: "projects that may come from one index only",
  },
  {
    key: "proxy",
    kind: { type: "url" },
    flag: "--proxy",
    env: ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"],
    scopes: userOnly,
    summary: "HTTP(S) proxy",
  },
  { key: "cert", kind: { type: "path" }, flag: "--cert", env: ["SSL_CERT_FILE"], scopes: userOnly, summary: "extra CA certificates (PEM)" },
  {
    key: "connect-timeout",
    kind: { type: "seconds" },
    flag: "--connect-timeout",
    env: ["PYSTORE_CONNECT_TIMEOUT"],
    scopes: both,
    default: 10,
    summary: "seconds to connect",
  },
  {
    key: "read-timeout",
    kind: { type: "seconds" },
    flag: "--read-timeout",
    env: ["PYSTORE_READ_TIMEOUT"],
    scopes: both,
    default: 30,
    summary: "seconds without data before a retry",
  },
  {
    key: "retries",
    kind: { type: "count", min: 0 },
    flag: "--retries",
    env: ["PYSTORE_RETRIES"],
    scopes: both,
    default: 3,
    summary: "retries of a failed request",
  },
  {
    key: "concurrency",
    kind: { type: "count", min: 1 },
    env: ["PYSTORE_CONCURRENCY"],
    scopes: both,
    default: 8,
    summary: "requests in flight at once",
  },
  {
    key: "jobs",
    kind: { type: "count", min: 1 },
    flag: "--jobs",
    env: ["PYSTORE_JOBS"],
    scopes: both,
    default: 4,
    summary: "parallel downloads (fetch)",
  },
  {
    key: "offline",
    kind: { type: "bool" },
    flag: "--offline",
    env: ["PYSTORE_OFFLINE"],
    scopes: both,
    default: false,
    summary: "no network: caches, local sources and the store",
  },
  {
    key: "link-mode",
    kind: { type: "choice", choices: LINK_MODES },
    flag: "--copy",
    env: ["PYSTORE_LINK_MODE"],
    scopes: both,
    default: "auto",
    summary: "how directory bundles take files from the store",
  },
  {
    key: "build-python",
    kind: { type: "path" },
    flag: "--build-python",
    env: ["PYSTORE_PYTHON"],
    scopes: userOnly,
    summary: "the interpreter sdists are built with (unset: python3.X on PATH)",
  },
  {
    key: "compile",
    kind: { type: "bool" },
    flag: "--compile",
    env: ["PYSTORE_COMPILE"],
    scopes: both,
    summary: "bundles get build-time bytecode (unset: when a Python of the target's X.Y is at hand)",
  },
  {
    key: "embed-python",
    kind: { type: "bool" },
    flag: "--embed-python",
    env: ["PYSTORE_EMBED_PYTHON"],
    scopes: both,
    summary: "bundles carry an interpreter from the store (unset: the one the lock pins, if any)",
  },
  {
    key: "remote-stores",
    kind: { type: "urls" },
    flag: "--remote-store",
    env: ["PYSTORE_REMOTE_STORE"],
    scopes: both,
    default: [],
    summary: "OCI registries consulted before any index",
  },
];

/**
 * [tool.pystore] keys that describe the project rather than configure pystore: read by src/project/pyproject.ts,
 * allowed only there (not in pystore.toml, not in the user file).
 */
export const PROJECT_KEYS = ["targets", "libs", "data", "scripts", "services"] as const;

export const SETTING_BY_KEY: ReadonlyMap<string, SettingDef> = new Map(SETTINGS.map((s) => [s.key, s]));
