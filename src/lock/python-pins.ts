// The interpreters a lock pins, one per target, in [tool.pystore] `pythons` (store-format/pylock-tool-pystore.md):
// read back, written sorted, and checked against the lock's own targets. They are outputs of `lock
// --embed-python`, not inputs: `lock --check` compares inputs only and checks the pins for consistency.

import type { Pylock } from "../standards/pylock.js";
import { byKey } from "../util/order.js";

/** One target's interpreter, found in the store by `sha256` (its canonical-tar digest). */
export interface PythonPin {
  /** The target's id, as in `targets` (`manylinux_2_28_x86_64-cp311`). */
  target: string;
  sha256: string;
  /** "cpython" */
  implementation: string;
  /** The full version, "3.11.10". */
  version: string;
  os: string;
  machine: string;
  /** "glibc" or "musl"; absent when the interpreter names none (not Linux). */
  libc?: string;
}

export const PIN_KEY = "pythons";

const SHA256 = /^[0-9a-f]{64}$/;
const isTable = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Why `value` is not a valid `pythons` array (read-lock.ts makes that INVALID_LOCK); undefined when it is. */
export function pinsProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return "must be an array of {target, sha256, implementation, version, os, machine} tables";
  const seen = new Set<string>();
  for (const [i, pin] of value.entries()) {
    if (!isTable(pin)) return `[${i}] must be a table`;
    for (const key of ["target", "sha256", "implementation", "version", "os", "machine"])
      if (typeof pin[key] !== "string") return `[${i}].${key} must be a string`;
    if (pin.libc !== undefined && typeof pin.libc !== "string") return `[${i}].libc must be a string`;
    if (!SHA256.test(pin.sha256 as string)) return `[${i}].sha256 must be 64 lower-case hex digits (${JSON.stringify(pin.sha256)})`;
    if (seen.has(pin.target as string)) return `[${i}]: a second pin for ${JSON.stringify(pin.target)}`;
    seen.add(pin.target as string);
  }
  return undefined;
}

/** The lock's pins, sorted by target (empty when it pins none; malformed tables were refused on reading). */
export function recordedPins(lock: Pylock | undefined): PythonPin[] {
  const value = (lock?.tool?.pystore as Record<string, unknown> | undefined)?.[PIN_KEY];
  if (!Array.isArray(value) || pinsProblem(value) !== undefined) return [];
  return sortPins(
    value.map((p: Record<string, string>) => ({
      target: p.target!,
      sha256: p.sha256!,
      implementation: p.implementation!,
      version: p.version!,
      os: p.os!,
      machine: p.machine!,
      ...(p.libc !== undefined ? { libc: p.libc } : {}),
    })),
  );
}

/** The pin for one target id, if the lock has one. */
export function pinFor(lock: Pylock | undefined, targetId: string): PythonPin | undefined {
  return recordedPins(lock).find((p) => p.target === targetId);
}

export function sortPins(pins: PythonPin[]): PythonPin[] {
  return [...pins].sort(byKey((p) => p.target));
}

/** The `pythons` value as written: key order fixed, sorted by target. */
export function pinsTable(pins: PythonPin[]): Record<string, string>[] {
  return sortPins(pins).map((p) => ({
    target: p.target,
    sha256: p.sha256,
    implementation: p.implementation,
    version: p.version,
    os: p.os,
    machine: p.machine,
    ...(p.libc !== undefined ? { libc: p.libc } : {}),
  }));
}

/** The lock with `pins` as its `pythons` (none: the key removed). Only the tool table is replaced. */
export function withPins(lock: Pylock, pins: PythonPin[]): Pylock {
  const { [PIN_KEY]: _old, ...table } = (lock.tool?.pystore ?? {}) as Record<string, unknown>;
  return { ...lock, tool: { ...lock.tool, pystore: pins.length > 0 ? { ...table, [PIN_KEY]: pinsTable(pins) } : table } };
}

/**
 * Pins that contradict the lock itself (a hand edit): one naming no locked target, or whose version is not
 * the target's Python. Whether the store still holds the interpreter is not asked: the lock is fresh
 * either way, and `bundle` names a missing one.
 */
export function pinProblems(pins: PythonPin[], targets: { id: string; python: string }[]): string[] {
  const byId = new Map(targets.map((t) => [t.id, t]));
  const problems: string[] = [];
  for (const pin of pins) {
    const target = byId.get(pin.target);
    if (!target) problems.push(`pythons: the pin ${pin.sha256.slice(0, 12)} names ${pin.target}, which the lock does not lock`);
    else if (pin.version !== target.python && !pin.version.startsWith(`${target.python}.`))
      problems.push(`pythons: ${pin.target} pins Python ${pin.version}, not the target's ${target.python}`);
  }
  return problems;
}
