// What the `python` commands share: an interpreter entry as --json and as one human line.

import { describeFacts } from "../python/match.js";
import type { PythonEntry } from "../store/pythons.js";

export function pythonJson(entry: PythonEntry): Record<string, unknown> {
  return {
    abiflags: entry.abiflags,
    build: entry.build ?? null,
    cacheTag: entry.cacheTag,
    dir: entry.dir,
    entryName: entry.entryName,
    executable: entry.executable,
    files: entry.files,
    implementation: entry.implementation,
    libc: entry.libc,
    machine: entry.machine,
    os: entry.os,
    python: entry.python,
    sha256: entry.sha256,
    size: entry.size,
    version: entry.version,
  };
}

export function pythonLine(entry: PythonEntry): string {
  return `${entry.sha256.slice(0, 12)}  ${describeFacts(entry)}  ${entry.entryName}`;
}
