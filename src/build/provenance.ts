// A built wheel's provenance as `store info` shows it: the derivation recorded in the store, in words. Pure.

import type { BuildRecord } from "../store/builds.js";
import type { Derivation } from "./derivation.js";

/** The derivation of a build row (written by src/build/builder.ts as stable JSON). */
export function derivationOf(record: BuildRecord): Derivation {
  return JSON.parse(record.derivation) as Derivation;
}

/** Indented lines for one build: source, environment, interpreter, network, key. */
export function provenanceLines(record: BuildRecord): string[] {
  const d = derivationOf(record);
  return [
    `  built from:      ${d.sdist.filename} (sha256 ${d.sdist.sha256})`,
    `  build key:       ${record.buildKey}`,
    `  built for:       ${record.target} at ${new Date(record.builtAt).toISOString()}`,
    `  interpreter:     ${d.interpreter.implementation} ${d.interpreter.version} (${d.interpreter.platform}, ${d.interpreter.soabi || "no SOABI"})`,
    `  network:         ${d.network ? "allowed (--build-network)" : "none"}`,
    `  build wheels:${d.buildRequires.length === 0 ? " (none)" : ""}`,
    ...d.buildRequires.map((w) => `    ${w.filename} (sha256 ${w.sha256})`),
  ];
}

/** The same, for --json. */
export function provenanceJson(record: BuildRecord): Record<string, unknown> {
  return {
    buildKey: record.buildKey,
    target: record.target,
    builtAt: new Date(record.builtAt).toISOString(),
    derivation: derivationOf(record),
  };
}
