// PEP 751 lock files (pylock.toml): read any valid file, validate it per the packaging.python.org
// "pylock.toml specification", and write one deterministically (byte-identical for equal input).

import { parse as parseToml, TomlError } from "smol-toml";
import { PystoreError } from "../errors.js";
import { canonicalizeName } from "./normalize.js";
import { parseMarker } from "./pep508.js";
import { parseSpecifierSet } from "./pep440.js";
import { TomlDateTime, type TomlTable, type TomlValue } from "./pylock/toml-writer.js";
import {
  checkName,
  checkPath,
  fail,
  hashes,
  join,
  optBoolean,
  optDateTime,
  optInteger,
  optString,
  optStringArray,
  optTable,
  optTableArray,
  reqString,
  toPystoreError,
} from "./pylock/validate.js";
import { writePylockText } from "./pylock/write.js";

export interface PylockWheel {
  name: string;
  url?: string;
  path?: string;
  size?: number;
  uploadTime?: string;
  hashes: Record<string, string>;
}
export interface PylockDependency {
  name: string;
  version?: string;
  [key: string]: unknown;
}
export interface PylockPackage {
  name: string;
  version?: string;
  marker?: string;
  requiresPython?: string;
  dependencies?: PylockDependency[];
  index?: string;
  wheels?: PylockWheel[];
  /** sdist, archive and vcs tables kept as read (keys as in the file); pystore installs wheels only. */
  sdist?: unknown;
  directory?: { path: string; editable?: boolean; subdirectory?: string };
  archive?: unknown;
  vcs?: unknown;
  attestationIdentities?: Record<string, unknown>[];
  tool?: Record<string, unknown>;
}
export interface Pylock {
  lockVersion: string;
  environments?: string[];
  requiresPython?: string;
  extras: string[];
  dependencyGroups: string[];
  defaultGroups: string[];
  createdBy: string;
  packages: PylockPackage[];
  tool?: Record<string, unknown>;
}

export { TomlDateTime };

const DATETIME_VALUE = /([=[,]\s*)(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})?)(?=\s*(?:$|[,\]}#\r\n]))/gm;
const DATETIME_MARK = "\u0000pystore-datetime:";

/**
 * smol-toml turns datetimes into JS Dates, which drop microseconds; PEP 751's own example has them.
 * Datetime values are swapped for marked strings before parsing and turned back into TomlDateTime after.
 */
function protectDatetimes(text: string): string {
  return text.replace(DATETIME_VALUE, (_m, prefix: string, literal: string) => `${prefix}"\\u0000pystore-datetime:${literal}"`);
}

function restoreDatetimes(value: unknown): TomlValue {
  if (typeof value === "string" && value.startsWith(DATETIME_MARK)) return new TomlDateTime(value.slice(DATETIME_MARK.length));
  if (Array.isArray(value)) return value.map(restoreDatetimes);
  if (value instanceof Date) return new TomlDateTime(value.toISOString());
  if (typeof value === "object" && value !== null) {
    const out: TomlTable = {};
    for (const [k, v] of Object.entries(value)) out[k] = restoreDatetimes(v);
    return out;
  }
  return value as TomlValue;
}

/** Parse and validate a pylock.toml. Errors are INVALID_LOCK naming `source` and a dotted path. */
export function parsePylock(text: string, source = "pylock.toml"): Pylock {
  let raw: TomlValue;
  try {
    raw = restoreDatetimes(parseToml(protectDatetimes(text)));
  } catch (error) {
    const detail = error instanceof TomlError ? error.message.split("\n")[0] : String(error);
    throw new PystoreError("INVALID_LOCK", `${source}: not valid TOML: ${detail}`, { cause: error });
  }
  try {
    return validateLock(raw as TomlTable);
  } catch (error) {
    throw toPystoreError(error, source);
  }
}

/** Write a lock: fixed key order (the spec's), inline hash tables, "\n" line ends. */
export function writePylock(lock: Pylock): string {
  return writePylockText(lock);
}

function validateLock(doc: TomlTable): Pylock {
  const lockVersion = reqString(doc, "lock-version", "");
  const match = /^(\d+)\.(\d+)$/.exec(lockVersion);
  if (!match) fail("lock-version", `"${lockVersion}" is not a MAJOR.MINOR version`);
  if (match[1] !== "1") fail("lock-version", `major version ${match[1]} is not supported (pystore reads lock-version 1.x)`);
  const environments = optStringArray(doc, "environments", "");
  for (const [i, m] of (environments ?? []).entries()) checkMarker(m, join("environments", i));
  const packagesRaw = optTableArray(doc, "packages", "");
  if (packagesRaw === undefined) fail("packages", "is required");
  const packages = packagesRaw.map((p, i) => validatePackage(p, join("packages", i)));
  const seen = new Map<string, number>();
  packages.forEach((p, i) => {
    const key = `${canonicalizeName(p.name)}==${p.version ?? ""}`;
    const first = seen.get(key);
    if (first !== undefined)
      fail(join("packages", i), `duplicate entry for ${p.name}${p.version ? ` ${p.version}` : ""} (also packages[${first}])`);
    seen.set(key, i);
  });
  return {
    lockVersion,
    environments,
    requiresPython: checkSpecifier(optString(doc, "requires-python", ""), "requires-python"),
    extras: optStringArray(doc, "extras", "") ?? [],
    dependencyGroups: optStringArray(doc, "dependency-groups", "") ?? [],
    defaultGroups: optStringArray(doc, "default-groups", "") ?? [],
    createdBy: reqString(doc, "created-by", ""),
    packages,
    tool: optTable(doc, "tool", "") as Record<string, unknown> | undefined,
  };
}

function checkSpecifier(text: string | undefined, where: string): string | undefined {
  if (text === undefined) return undefined;
  try {
    parseSpecifierSet(text);
  } catch (error) {
    fail(where, `invalid specifier "${text}": ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
  return text;
}

function checkMarker(text: string, where: string): string {
  try {
    parseMarker(text);
  } catch (error) {
    fail(where, `invalid marker "${text}": ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
  return text;
}

function validatePackage(table: TomlTable, path: string): PylockPackage {
  const name = checkName(reqString(table, "name", path), join(path, "name"));
  const marker = optString(table, "marker", path);
  if (marker !== undefined) checkMarker(marker, join(path, "marker"));
  const dependencies = optTableArray(table, "dependencies", path)?.map((d, i) => {
    const where = join(join(path, "dependencies"), i);
    if (d.name !== undefined) checkName(reqString(d, "name", where), join(where, "name"));
    return { ...d } as PylockDependency;
  });
  const sources = ["vcs", "directory", "archive"].filter((k) => table[k] !== undefined);
  const hasDist = table.sdist !== undefined || table.wheels !== undefined;
  if (sources.length > 1 || (sources.length === 1 && hasDist)) {
    const named = [...sources, ...(table.sdist !== undefined ? ["sdist"] : []), ...(table.wheels !== undefined ? ["wheels"] : [])];
    fail(path, `has ${named.join(" and ")}; a package comes from exactly one of vcs, directory, archive, or sdist/wheels`);
  }
  const wheels = optTableArray(table, "wheels", path)?.map((w, i) => validateWheel(w, join(join(path, "wheels"), i)));
  const sdist = optTable(table, "sdist", path);
  if (sdist) validateFile(sdist, join(path, "sdist"));
  const archive = optTable(table, "archive", path);
  if (archive) validateFile(archive, join(path, "archive"));
  const vcs = optTable(table, "vcs", path);
  if (vcs) {
    reqString(vcs, "type", join(path, "vcs"));
    reqString(vcs, "commit-id", join(path, "vcs"));
    if (vcs.url === undefined && vcs.path === undefined) fail(join(path, "vcs"), "needs url or path");
    const p = optString(vcs, "path", join(path, "vcs"));
    if (p !== undefined) checkPath(p, join(join(path, "vcs"), "path"));
  }
  const dirTable = optTable(table, "directory", path);
  let directory: PylockPackage["directory"];
  if (dirTable) {
    const where = join(path, "directory");
    directory = { path: checkPath(reqString(dirTable, "path", where), join(where, "path")) };
    const editable = optBoolean(dirTable, "editable", where);
    if (editable !== undefined) directory.editable = editable;
    const sub = optString(dirTable, "subdirectory", where);
    if (sub !== undefined) directory.subdirectory = sub;
  }
  const attestations = optTableArray(table, "attestation-identities", path);
  for (const [i, a] of (attestations ?? []).entries()) reqString(a, "kind", join(join(path, "attestation-identities"), i));
  const pkg: PylockPackage = { name };
  const version = optString(table, "version", path);
  if (version !== undefined) pkg.version = version;
  if (marker !== undefined) pkg.marker = marker;
  const requiresPython = checkSpecifier(optString(table, "requires-python", path), join(path, "requires-python"));
  if (requiresPython !== undefined) pkg.requiresPython = requiresPython;
  if (dependencies) pkg.dependencies = dependencies;
  const index = optString(table, "index", path);
  if (index !== undefined) pkg.index = index;
  if (vcs) pkg.vcs = vcs;
  if (directory) pkg.directory = directory;
  if (archive) pkg.archive = archive;
  if (sdist) pkg.sdist = sdist;
  if (wheels) pkg.wheels = wheels;
  if (attestations) pkg.attestationIdentities = attestations as Record<string, unknown>[];
  const tool = optTable(table, "tool", path);
  if (tool) pkg.tool = tool as Record<string, unknown>;
  return pkg;
}

function validateFile(table: TomlTable, path: string): void {
  const url = optString(table, "url", path);
  const filePath = optString(table, "path", path);
  if (url === undefined && filePath === undefined) fail(path, "needs url or path");
  if (filePath !== undefined) checkPath(filePath, join(path, "path"));
  optInteger(table, "size", path);
  optDateTime(table, "upload-time", path);
  hashes(table, path);
}

function validateWheel(table: TomlTable, path: string): PylockWheel {
  validateFile(table, path);
  const url = optString(table, "url", path);
  const filePath = optString(table, "path", path);
  let name = optString(table, "name", path);
  if (name === undefined) {
    // The spec lets a wheel's name be implied by the last segment of its url or path.
    const from = (url ?? filePath ?? "").split(/[?#]/)[0];
    name = decodeURIComponent(from.slice(from.lastIndexOf("/") + 1));
  }
  if (!name.endsWith(".whl")) fail(join(path, "name"), `"${name}" is not a wheel filename`);
  const wheel: PylockWheel = { name, hashes: hashes(table, path) };
  if (url !== undefined) wheel.url = url;
  if (filePath !== undefined) wheel.path = filePath;
  const size = optInteger(table, "size", path);
  if (size !== undefined) wheel.size = size;
  const uploadTime = optDateTime(table, "upload-time", path);
  if (uploadTime !== undefined) wheel.uploadTime = uploadTime;
  return wheel;
}
