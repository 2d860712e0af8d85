// A stored interpreter's row for tests that need one without a store: a CPython 3.11 for x86_64 glibc
// Linux unless `facts` say otherwise.

import type { PythonEntry } from "../../src/store/pythons.js";

export function pythonEntry(facts: Partial<PythonEntry> = {}): PythonEntry {
  return {
    implementation: "cpython",
    version: "3.11.2",
    python: "3.11",
    os: "linux",
    machine: "x86_64",
    libc: "glibc",
    abiflags: "",
    cacheTag: "cpython-311",
    executable: "python/bin/python3",
    sha256: "a".repeat(64),
    size: 1,
    entryName: "x",
    dir: "/x",
    files: 1,
    addedAt: 0,
    ...facts,
  };
}
