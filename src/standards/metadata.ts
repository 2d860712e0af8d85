// Core metadata (packaging.python.org "Core metadata specifications", versions 1.0–2.4): the
// email-header format of METADATA / PKG-INFO, and the dependencies it declares for an environment.
import { PystoreError } from "../errors.js";
import { assertProjectName, canonicalizeName, isValidProjectName } from "./normalize.js";
import { isValidVersion, parseSpecifierSet } from "./pep440.js";
import { evaluateMarker, parseRequirement, type MarkerEnvironment, type Requirement } from "./pep508.js";

export interface CoreMetadata {
  metadataVersion: string;
  name: string;
  version: string;
  requiresDist: Requirement[];
  requiresPython?: string;
  /** Normalized (PEP 685), sorted, unique. */
  providesExtra: string[];
  summary?: string;
  dynamic: string[];
}

/** Header name (lower-case) → every value, in order. Continuation lines are kept, joined by "\n". */
export function parseHeaders(text: string): { headers: Map<string, string[]>; body: string } {
  const headers = new Map<string, string[]>();
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);
  let last: { key: string; index: number } | undefined;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line === "") {
      i++;
      break;
    }
    if ((line[0] === " " || line[0] === "\t") && last) {
      const values = headers.get(last.key)!;
      values[last.index] += `\n${line.trimStart()}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) {
      // The email parser stops at the first line that is not a header; the rest is the body.
      break;
    }
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const values = headers.get(key) ?? [];
    values.push(value);
    headers.set(key, values);
    last = { key, index: values.length - 1 };
  }
  return { headers, body: lines.slice(i).join("\n") };
}

function fail(source: string, field: string, message: string, cause?: unknown, hint?: string): never {
  throw new PystoreError("INVALID_METADATA", `Invalid core metadata in ${source}: ${field}: ${message}`, {
    cause,
    hint,
    details: { source, field },
  });
}

function single(headers: Map<string, string[]>, field: string, source: string): string | undefined {
  const values = headers.get(field.toLowerCase());
  if (!values || values.length === 0) return undefined;
  if (values.length > 1 && values.some((v) => v !== values[0])) fail(source, field, `appears ${values.length} times with different values`);
  return values[0];
}

export function parseCoreMetadata(text: string, source = "METADATA"): CoreMetadata {
  const { headers } = parseHeaders(text);
  const metadataVersion = single(headers, "Metadata-Version", source);
  if (metadataVersion === undefined) fail(source, "Metadata-Version", "missing");
  const mv = /^(\d+)\.(\d+)$/.exec(metadataVersion);
  // Wheels built by old bdist_wheel say "2.0"; accept every 1.x/2.x, refuse a future major version.
  if (!mv || Number(mv[1]) < 1 || Number(mv[1]) > 2) {
    fail(source, "Metadata-Version", `${JSON.stringify(metadataVersion)} is not a supported version (1.0 to 2.x)`);
  }
  const name = single(headers, "Name", source);
  if (name === undefined) fail(source, "Name", "missing");
  if (!isValidProjectName(name)) {
    try {
      assertProjectName(name);
    } catch (e) {
      fail(source, "Name", `${JSON.stringify(name)} is not a valid project name`, e);
    }
  }
  const version = single(headers, "Version", source);
  if (version === undefined) fail(source, "Version", "missing");
  if (!isValidVersion(version)) fail(source, "Version", `${JSON.stringify(version)} is not a PEP 440 version`);

  const requiresDist: Requirement[] = [];
  for (const raw of headers.get("requires-dist") ?? []) {
    try {
      requiresDist.push(parseRequirement(raw.replace(/\n/g, " ")));
    } catch (e) {
      fail(source, "Requires-Dist", `${JSON.stringify(raw)} is not a valid requirement`, e, e instanceof Error ? e.message : undefined);
    }
  }
  let requiresPython = single(headers, "Requires-Python", source);
  if (requiresPython !== undefined) {
    try {
      requiresPython = parseSpecifierSet(requiresPython).text;
    } catch (e) {
      fail(source, "Requires-Python", `${JSON.stringify(requiresPython)} is not a valid specifier set`, e);
    }
  }
  const providesExtra = [...new Set((headers.get("provides-extra") ?? []).map(canonicalizeName))].sort();
  const summary = single(headers, "Summary", source);
  const dynamic = [...(headers.get("dynamic") ?? [])];
  for (const field of dynamic) {
    // The spec forbids declaring the identity fields dynamic.
    if (["name", "version", "metadata-version"].includes(field.toLowerCase()))
      fail(source, "Dynamic", `${JSON.stringify(field)} may not be dynamic`);
  }
  return {
    metadataVersion,
    name,
    version,
    requiresDist,
    ...(requiresPython !== undefined ? { requiresPython } : {}),
    providesExtra,
    ...(summary !== undefined ? { summary } : {}),
    dynamic,
  };
}

/**
 * The Requires-Dist entries that apply to `env` when the project is installed with `extras`: those
 * without a marker, and those whose marker holds with no extra or with one of the requested extras.
 */
export function dependenciesFor(meta: CoreMetadata, env: MarkerEnvironment, extras: string[]): Requirement[] {
  const wanted = ["", ...new Set(extras.map(canonicalizeName))];
  return meta.requiresDist.filter((req) => !req.marker || wanted.some((extra) => evaluateMarker(req.marker!, env, { extra })));
}
