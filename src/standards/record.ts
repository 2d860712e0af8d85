// RECORD files (packaging.python.org "Recording installed projects" / binary distribution format):
// CSV rows of path, hash (algorithm=urlsafe-b64-nopad), size.
import { PystoreError } from "../errors.js";

export interface RecordRow {
  path: string;
  hash?: { algorithm: string; digest: string };
  size?: number;
}

function fail(source: string, line: number, message: string): never {
  throw new PystoreError("INVALID_RECORD", `Invalid RECORD ${source}, line ${line}: ${message}`, { details: { source, line } });
}

/** Splits CSV text into records of fields (RFC 4180 quoting, as Python's csv module writes it). */
function parseCsv(text: string, source: string): { fields: string[]; line: number }[] {
  const rows: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let inQuotes = false;
  let line = 1;
  let rowLine = 1;
  let any = false;
  const endField = () => {
    fields.push(field);
    field = "";
    quoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"') {
      if (field !== "" || quoted) fail(source, line, "a quote inside an unquoted field");
      inQuotes = true;
      quoted = true;
      any = true;
    } else if (ch === ",") {
      endField();
      any = true;
    } else if (ch === "\r" || ch === "\n") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      if (any || field !== "") {
        endField();
        rows.push({ fields, line: rowLine });
      }
      fields = [];
      any = false;
      line++;
      rowLine = line;
    } else {
      if (quoted) fail(source, line, "text after a closing quote");
      field += ch;
      any = true;
    }
  }
  if (inQuotes) fail(source, rowLine, "an unterminated quoted field");
  if (any || field !== "") {
    endField();
    rows.push({ fields, line: rowLine });
  }
  return rows;
}

const DIGEST = /^[A-Za-z0-9_-]+=*$/;

/** One row from its three fields, checked. */
function recordRow(path: string, hash: string, size: string, source: string, line: number): RecordRow {
  if (path === "") fail(source, line, "empty path");
  const row: RecordRow = { path };
  if (hash !== "") {
    const eq = hash.indexOf("=");
    const algorithm = hash.slice(0, eq);
    const digest = hash.slice(eq + 1);
    if (eq <= 0 || !DIGEST.test(digest)) fail(source, line, `hash ${JSON.stringify(hash)} is not <algorithm>=<urlsafe-base64 digest>`);
    row.hash = { algorithm, digest: digest.endsWith("=") ? digest.replace(/=+$/, "") : digest };
  }
  if (size !== "") {
    // Past 2^53 the number would be rounded and then compared with a real size: refuse it instead.
    if (!/^\d+$/.test(size) || !Number.isSafeInteger(Number(size)))
      fail(source, line, `size ${JSON.stringify(size)} is not a non-negative integer`);
    row.size = Number(size);
  }
  return row;
}

const fieldCount = (source: string, line: number, found: number) =>
  fail(source, line, `expected 3 fields (path,hash,size), found ${found}`);

export function parseRecord(text: string, source = "RECORD"): RecordRow[] {
  const rows: RecordRow[] = [];
  if (text.includes('"')) {
    for (const { fields, line } of parseCsv(text, source)) {
      if (fields.length !== 3) fieldCount(source, line, fields.length);
      rows.push(recordRow(fields[0], fields[1], fields[2], source, line));
    }
    return rows;
  }
  // Without a quote every line splits at its commas: each row's fields are cut straight from its line (a
  // wheel's RECORD has a row per file, tens of thousands in large ones).
  const lines = text.includes("\r") ? text.split(/\r\n|\r|\n/) : text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === "") continue;
    const first = line.indexOf(",");
    const second = first < 0 ? -1 : line.indexOf(",", first + 1);
    if (second < 0 || line.indexOf(",", second + 1) >= 0) fieldCount(source, i + 1, line.split(",").length);
    rows.push(recordRow(line.slice(0, first), line.slice(first + 1, second), line.slice(second + 1), source, i + 1));
  }
  return rows;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function formatRecord(rows: RecordRow[]): string {
  return rows
    .map(
      (r) =>
        [csvField(r.path), r.hash ? `${r.hash.algorithm}=${r.hash.digest}` : "", r.size === undefined ? "" : String(r.size)].join(",") +
        "\n",
    )
    .join("");
}
