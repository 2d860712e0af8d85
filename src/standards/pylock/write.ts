// The pylock.toml writer: the spec's key order, `[[packages]]` sections with indented
// `[[packages.wheels]]`, inline `hashes = {sha256 = "…"}`, datetimes unquoted; same input, same bytes.

import type { Pylock, PylockPackage, PylockWheel } from "../pylock.js";
import {
  TomlDateTime,
  formatKey,
  formatKeyValue,
  formatTableSections,
  isPlainTable,
  isTomlDateTimeText,
  type TomlTable,
  type TomlValue,
} from "./toml-writer.js";

const INDENT = "    ";

function datetime(text: string | undefined): TomlValue | undefined {
  if (text === undefined) return undefined;
  // A string that is not a datetime literal is kept quoted rather than written as invalid TOML.
  return isTomlDateTimeText(text) ? new TomlDateTime(text) : text;
}

function keyValues(pairs: [string, TomlValue | undefined][], indent: string): string {
  return pairs
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => formatKeyValue(k, v as TomlValue, indent))
    .join("");
}

function fileTable(table: TomlTable, order: string[]): [string, TomlValue | undefined][] {
  const known = order.map((k): [string, TomlValue | undefined] => [k, table[k]]);
  const rest = Object.keys(table)
    .filter((k) => !order.includes(k))
    .map((k): [string, TomlValue | undefined] => [k, table[k]]);
  return [...known, ...rest];
}

function wheelPairs(wheel: PylockWheel): [string, TomlValue | undefined][] {
  return [
    ["name", wheel.name],
    ["upload-time", datetime(wheel.uploadTime)],
    ["url", wheel.url],
    ["path", wheel.path],
    ["size", wheel.size],
    ["hashes", wheel.hashes as TomlTable],
  ];
}

const FILE_ORDER = ["type", "name", "upload-time", "url", "path", "requested-revision", "commit-id", "subdirectory", "size", "hashes"];

function section(header: string, body: string, indent: string): string {
  return `\n${indent}${header}\n${body}`;
}

function writePackage(pkg: PylockPackage): string {
  let out = "\n[[packages]]\n";
  out += keyValues(
    [
      ["name", pkg.name],
      ["version", pkg.version],
      ["marker", pkg.marker],
      ["requires-python", pkg.requiresPython],
      ["dependencies", pkg.dependencies as TomlValue[] | undefined],
      ["index", pkg.index],
    ],
    "",
  );
  for (const key of ["vcs", "directory", "archive", "sdist"] as const) {
    const table = pkg[key] as TomlTable | undefined;
    if (table === undefined) continue;
    const body = keyValues(
      fileTable(table, FILE_ORDER).filter(([, v]) => v === undefined || !isSubTable(v)),
      INDENT,
    );
    out += section(`[packages.${key}]`, body, INDENT);
  }
  for (const wheel of pkg.wheels ?? []) out += section("[[packages.wheels]]", keyValues(wheelPairs(wheel), INDENT), INDENT);
  for (const identity of pkg.attestationIdentities ?? []) {
    out += section("[[packages.attestation-identities]]", keyValues(Object.entries(identity) as [string, TomlValue][], INDENT), INDENT);
  }
  if (pkg.tool) out += toolSections(["packages", "tool"], pkg.tool as TomlTable, INDENT);
  return out;
}

function isSubTable(value: TomlValue): boolean {
  return typeof value === "object" && !Array.isArray(value) && !(value instanceof TomlDateTime) && !isHashLike(value);
}

/** Small flat tables (hashes) stay inline; anything else nested in a file table would be unusual. */
function isHashLike(value: TomlTable): boolean {
  return Object.values(value).every((v) => typeof v === "string");
}

function toolSections(path: string[], tool: TomlTable, indent: string): string {
  // Plain values share one header: a second `[tool]` would be a duplicate table, which no reader accepts.
  const plain = Object.entries(tool).filter((e): e is [string, TomlValue] => e[1] !== undefined && !isPlainTable(e[1]));
  let out = plain.length
    ? section(`[${path.map(formatKey).join(".")}]`, plain.map(([k, v]) => formatKeyValue(k, v, indent)).join(""), indent)
    : "";
  for (const [name, table] of Object.entries(tool)) {
    if (table === undefined || !isPlainTable(table)) continue;
    const sub = [...path, name];
    out += section(`[${sub.map(formatKey).join(".")}]`, formatTableSections(sub, table, indent), indent);
  }
  return out;
}

export function writePylockText(lock: Pylock): string {
  let out = keyValues(
    [
      ["lock-version", lock.lockVersion],
      ["environments", lock.environments],
      ["requires-python", lock.requiresPython],
      ["extras", lock.extras.length ? lock.extras : undefined],
      ["dependency-groups", lock.dependencyGroups.length ? lock.dependencyGroups : undefined],
      ["default-groups", lock.defaultGroups.length ? lock.defaultGroups : undefined],
      ["created-by", lock.createdBy],
      // The spec requires `packages`; an empty array has no `[[packages]]` form, so it is written inline.
      ["packages", lock.packages.length === 0 ? [] : undefined],
    ],
    "",
  );
  for (const pkg of lock.packages) out += writePackage(pkg);
  if (lock.tool) out += toolSections(["tool"], lock.tool as TomlTable, "");
  return out;
}
