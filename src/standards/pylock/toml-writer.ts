// A small deterministic TOML writer for pylock.toml: fixed key order, inline tables where PEP 751's
// example uses them, and datetimes kept verbatim (smol-toml's stringify loses both).

/** A TOML datetime literal kept as its original text (smol-toml's Date drops microseconds). */
export class TomlDateTime {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const DATETIME = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?$|^\d{2}:\d{2}:\d{2}(?:\.\d+)?$/;

export function isTomlDateTimeText(text: string): boolean {
  return DATETIME.test(text);
}

export type TomlValue = string | number | boolean | TomlDateTime | TomlValue[] | TomlTable;
export interface TomlTable {
  [key: string]: TomlValue | undefined;
}

export function isPlainTable(value: unknown): value is TomlTable {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof TomlDateTime) && !(value instanceof Date)
  );
}

function formatString(text: string): string {
  // Markers are full of double quotes: a literal string shows them without backslashes.
  if (text.includes('"') && !text.includes("'") && !/[\x00-\x1f\x7f]/.test(text)) return `'${text}'`;
  // JSON escapes are valid TOML basic-string escapes; TOML additionally forbids a raw DEL.
  return JSON.stringify(text).replace(/\x7f/g, "\\u007f");
}

export function formatKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : formatString(key);
}

function formatInline(value: TomlValue): string {
  if (typeof value === "string") return formatString(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (Number.isInteger(value)) return String(value);
    if (Number.isNaN(value)) return "nan";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    return String(value).includes(".") || String(value).includes("e") ? String(value) : `${value}.0`;
  }
  if (value instanceof TomlDateTime) return value.text;
  if (Array.isArray(value)) return `[${value.map(formatInline).join(", ")}]`;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined) as [string, TomlValue][];
  if (entries.length === 0) return "{}";
  return `{${entries.map(([k, v]) => `${formatKey(k)} = ${formatInline(v)}`).join(", ")}}`;
}

/** Arrays of tables render one inline table per line (PEP 751's `dependencies` style). */
function formatArray(value: TomlValue[], indent: string): string {
  if (value.length === 0) return "[]";
  const inline = formatInline(value);
  // Short scalar arrays stay on one line; long ones (environments) get one item per line for diffs.
  if (!value.some(isPlainTable) && (value.length < 2 || inline.length <= 80)) return inline;
  return `[\n${value.map((v) => `${indent}    ${formatInline(v)},\n`).join("")}${indent}]`;
}

export function formatKeyValue(key: string, value: TomlValue, indent: string): string {
  const text = Array.isArray(value) ? formatArray(value, indent) : formatInline(value);
  return `${indent}${formatKey(key)} = ${text}\n`;
}

/**
 * Write a table's body under `path`: its plain values first (in the table's key order), then
 * sub-tables as `[path.key]` sections. Arrays of tables stay inline arrays here; callers that want
 * `[[…]]` sections (packages, wheels) lay them out themselves.
 */
export function formatTableSections(path: string[], table: TomlTable, indent = ""): string {
  let out = "";
  const subTables: [string, TomlTable][] = [];
  for (const [key, value] of Object.entries(table)) {
    if (value === undefined) continue;
    if (isPlainTable(value)) subTables.push([key, value]);
    else out += formatKeyValue(key, value, indent);
  }
  for (const [key, sub] of subTables) {
    const subPath = [...path, key];
    const values = Object.values(sub).filter((v) => v !== undefined);
    // A table holding only sub-tables needs no header of its own (`[tool.x]` implies `[tool]`).
    if (values.length === 0 || values.some((v) => !isPlainTable(v))) out += `\n${indent}[${subPath.map(formatKey).join(".")}]\n`;
    out += formatTableSections(subPath, sub, indent);
  }
  return out;
}
