// Which interpreters a lock pins (src/app/lock-pythons.ts) and how the pins read, write and check
// (src/lock/python-pins.ts): against an in-memory list of stored interpreters.

import { describe, expect, it } from "vitest";
import { choosePins, type PinContext, pinOf } from "../../src/app/lock-pythons.js";
import { pinProblems, pinsProblem, recordedPins, withPins, type PythonPin } from "../../src/lock/python-pins.js";
import type { Pylock } from "../../src/standards/pylock.js";
import { resolveTarget } from "../../src/standards/targets.js";
import type { PythonEntry } from "../../src/store/pythons.js";
import { pythonEntry } from "../helpers/python-entry.js";
import { refusal } from "../helpers/refusal.js";
import type { Store } from "../../src/store/store.js";
import { memoryLogger } from "../../src/util/log.js";

function entry(sha: string, facts: Partial<PythonEntry> = {}): PythonEntry {
  return pythonEntry({ sha256: sha.repeat(64), entryName: `${sha.repeat(8)}-cpython`, ...facts });
}

function fakeStore(entries: PythonEntry[]): Store {
  const pythons = {
    list: () => entries,
    get: (sha256: string) => entries.find((e) => e.sha256 === sha256),
    find: (prefix: string) => (prefix.length < 4 ? [] : entries.filter((e) => e.sha256.startsWith(prefix))),
  };
  return { pythons } as unknown as Store;
}

const x86 = resolveTarget("manylinux_x86_64", "3.11");
const arm = resolveTarget("manylinux_aarch64", "3.11");
const a = entry("a");
const b = entry("b", { version: "3.11.9" });
const armPython = entry("c", { machine: "aarch64" });

function context(entries: PythonEntry[] | undefined, upgrade = false): PinContext & { log: ReturnType<typeof memoryLogger> } {
  return { store: entries && fakeStore(entries), storeDir: "/store", cwd: "/", log: memoryLogger(), upgrade };
}

describe("choosePins", () => {
  it("pins the newest fitting interpreter per target, sorted by target id", async () => {
    const pins = await choosePins({ kind: "pin", ref: true }, [], [x86, arm], context([a, b, armPython]));
    expect(pins.map((p) => [p.target, p.sha256])).toEqual([
      [arm.id, armPython.sha256],
      [x86.id, b.sha256],
    ]);
    expect(pins[1]).toEqual({
      target: x86.id,
      sha256: b.sha256,
      implementation: "cpython",
      version: "3.11.9",
      os: "linux",
      machine: "x86_64",
      libc: "glibc",
    });
  });

  it("keeps existing pins without a store, drops the pins of targets no longer locked, and --no-embed-python drops all", async () => {
    const old = [pinOf(a, x86), pinOf(armPython, arm)];
    const ctx = context(undefined);
    expect(await choosePins({ kind: "keep" }, old, [x86], ctx)).toEqual([pinOf(a, x86)]);
    expect(ctx.log.lines.join("\n")).toContain(`dropping the pin of ${arm.id}`);
    expect(await choosePins({ kind: "drop" }, old, [x86, arm], context(undefined))).toEqual([]);
    expect(await choosePins({ kind: "keep" }, [], [x86], context(undefined))).toEqual([]);
  });

  it("--embed-python keeps a pin; --upgrade moves it to the best stored one, or keeps it with a warning when none fits", async () => {
    const old = [pinOf(a, x86)];
    expect(await choosePins({ kind: "pin", ref: true }, old, [x86], context([a, b]))).toEqual(old);
    expect((await choosePins({ kind: "keep" }, old, [x86], context([a, b], true)))[0]!.sha256).toBe(b.sha256);
    const ctx = context([armPython], true);
    expect(await choosePins({ kind: "keep" }, old, [x86], ctx)).toEqual(old);
    expect(ctx.log.lines.join("\n")).toContain(`no stored interpreter fits ${x86.id}; keeping the pinned`);
  });

  it("a named interpreter pins the targets it fits; the others keep theirs or take the best; one that fits none is refused", async () => {
    const old = [pinOf(armPython, arm)];
    const pins = await choosePins({ kind: "pin", ref: "aaaa" }, old, [x86, arm], context([a, b, armPython]));
    expect(pins.map((p) => p.sha256)).toEqual([armPython.sha256, a.sha256]);
    const refused = await refusal(() => choosePins({ kind: "pin", ref: "cccc" }, [], [x86], context([a, armPython])));
    expect(refused.code).toBe("PYTHON_MISMATCH");
    expect(refused.message).toContain(`fits none of the lock's targets (${x86.id}: cpython 3.11 linux x86_64 glibc)`);
  });

  it("a target nothing fits is ENTRY_NOT_FOUND with the way to add one; pinning needs the store", async () => {
    const missing = await refusal(() => choosePins({ kind: "pin", ref: true }, [], [x86, arm], context([a])));
    expect(missing.code).toBe("ENTRY_NOT_FOUND");
    expect(missing.message).toContain(`no stored interpreter fits ${arm.id}`);
    expect(missing.hint).toContain("pystore python add");
    expect((await refusal(() => choosePins({ kind: "pin", ref: true }, [], [x86], context(undefined)))).code).toBe("STORE_IO");
  });
});

describe("python-pins", () => {
  const lock = (pystore: Record<string, unknown>): Pylock =>
    ({ lockVersion: "1.0", packages: [], extras: [], dependencyGroups: [], defaultGroups: [], tool: { pystore } }) as unknown as Pylock;

  it("writes and reads back the pins sorted, and removes the key when there are none", () => {
    const pins = [pinOf(a, x86), pinOf(armPython, arm)];
    const written = withPins(lock({ "format-version": 1 }), pins);
    const table = written.tool!.pystore as Record<string, unknown>;
    expect(Object.keys(table)).toEqual(["format-version", "pythons"]);
    expect((table.pythons as PythonPin[]).map((p) => p.target)).toEqual([arm.id, x86.id]);
    expect(recordedPins(written)).toEqual([pinOf(armPython, arm), pinOf(a, x86)]);
    expect(withPins(written, []).tool!.pystore).toEqual({ "format-version": 1 });
  });

  it("refuses malformed tables and names pins that contradict the lock's targets", () => {
    expect(pinsProblem([pinOf(a, x86)])).toBeUndefined();
    expect(pinsProblem({})).toContain("must be an array");
    expect(pinsProblem([{ ...pinOf(a, x86), sha256: "A".repeat(64) }])).toContain("[0].sha256 must be 64 lower-case hex digits");
    expect(pinsProblem([pinOf(a, x86), pinOf(b, x86)])).toContain(`a second pin for "${x86.id}"`);
    expect(pinsProblem([{ target: x86.id }])).toBe("[0].sha256 must be a string");
    expect(pinProblems([pinOf(a, x86)], [x86])).toEqual([]);
    expect(pinProblems([pinOf(a, x86)], [arm])).toEqual([
      `pythons: the pin ${a.sha256.slice(0, 12)} names ${x86.id}, which the lock does not lock`,
    ]);
    expect(pinProblems([pinOf(a, x86)], [{ id: x86.id, python: "3.12" }])).toEqual([
      `pythons: ${x86.id} pins Python 3.11.2, not the target's 3.12`,
    ]);
  });
});
