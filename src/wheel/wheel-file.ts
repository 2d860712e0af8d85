// The `.dist-info/WHEEL` file (binary distribution format): key/value lines, the Wheel-Version gate and
// Root-Is-Purelib.

import { PystoreError } from "../errors.js";

export interface WheelFields {
  wheelVersion: string;
  /** Root-Is-Purelib: whether the archive root installs into purelib (else platlib). */
  rootIsPurelib: boolean;
  /** Every field, keys lower-cased (Tag repeats: the last one wins; nothing here needs tags). */
  fields: Map<string, string>;
}

/** The key/value lines of WHEEL. */
function parseWheelFile(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return fields;
}

/** Parse WHEEL and refuse a major Wheel-Version other than 1 (the spec says installers must). */
export function readWheelFields(archive: string, text: string): WheelFields {
  const fields = parseWheelFile(text);
  const wheelVersion = fields.get("wheel-version") ?? "";
  if (!/^1(\.\d+)*$/.test(wheelVersion)) {
    throw new PystoreError("UNSAFE_WHEEL", `${archive}: unsupported Wheel-Version ${JSON.stringify(wheelVersion)} (pystore installs 1.x)`);
  }
  return { wheelVersion, rootIsPurelib: fields.get("root-is-purelib")?.toLowerCase() === "true", fields };
}
