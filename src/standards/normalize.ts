// Project names: PEP 503 normalization and the core-metadata name rule (packaging.python.org "Names").
import { PystoreError } from "../errors.js";

// The "Name" field spec: ASCII letters and digits, with . _ - allowed inside, never at either end.
const VALID_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;

/** PEP 503: lower-case, and every run of `-`, `_`, `.` becomes one `-`. */
export function canonicalizeName(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

export function isValidProjectName(name: string): boolean {
  return VALID_NAME.test(name);
}

/** Returns `name` unchanged when valid; throws INVALID_NAME quoting it otherwise. */
export function assertProjectName(name: string): string {
  if (!isValidProjectName(name)) {
    throw new PystoreError("INVALID_NAME", `Invalid project name ${JSON.stringify(name)}`, {
      hint: "names use ASCII letters, digits, '.', '_' and '-', and start and end with a letter or digit",
    });
  }
  return name;
}
