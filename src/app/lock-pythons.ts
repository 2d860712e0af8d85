// `lock --embed-python [REF]` / `--no-embed-python`: which interpreter the lock pins for each target
// (store-format/pylock-tool-pystore.md, `pythons`). Pins are outputs, kept like versions: a re-lock keeps
// them, --upgrade moves them to the best stored interpreter, --no-embed-python drops them.

import { PystoreError } from "../errors.js";
import type { PythonPin } from "../lock/python-pins.js";
import { sortTargets } from "../lock/inputs.js";
import { describeWanted, wantedFor } from "../python/match.js";
import { bestPython, fitsTarget, namedPython, noPythonFor } from "../python/select.js";
import type { Target } from "../standards/targets.js";
import type { PythonEntry } from "../store/pythons.js";
import type { Store } from "../store/store.js";
import type { Logger } from "../util/log.js";

/** What the command line asked of the pins: keep them (no flag), drop them, or pin (the best stored, or REF). */
export type PinRequest = { kind: "keep" } | { kind: "drop" } | { kind: "pin"; ref: true | string };

export interface PinContext {
  /** Needed to pin; absent when the store cannot be opened (a kept pin needs none). */
  store?: Store;
  storeDir: string;
  cwd: string;
  log: Logger;
  upgrade: boolean;
}

export function pinOf(entry: PythonEntry, target: Target): PythonPin {
  return {
    target: target.id,
    sha256: entry.sha256,
    implementation: entry.implementation,
    version: entry.version,
    os: entry.os,
    machine: entry.machine,
    ...(entry.libc !== null ? { libc: entry.libc } : {}),
  };
}

const short = (pin: PythonPin) => `${pin.implementation} ${pin.version} (${pin.sha256.slice(0, 12)})`;

function needStore(ctx: PinContext): Store {
  if (ctx.store) return ctx.store;
  throw new PystoreError("STORE_IO", `interpreters are pinned from the store, and the store ${ctx.storeDir} cannot be opened`, {
    hint: "fix the store (see the warnings above, or pystore doctor), or lock without --embed-python",
  });
}

/**
 * The pins the new lock records, sorted by target. `existing` are the old lock's pins; a pin of a target no
 * longer locked goes. With a REF, the interpreter it names is pinned for every target it fits (it must fit
 * one); the other targets are pinned as without one: their pin kept (moved to the best stored one with
 * --upgrade), else the best stored interpreter, else ENTRY_NOT_FOUND.
 */
export async function choosePins(request: PinRequest, existing: PythonPin[], targets: Target[], ctx: PinContext): Promise<PythonPin[]> {
  const sorted = sortTargets(targets);
  const ids = new Set(sorted.map((t) => t.id));
  const gone = existing.filter((p) => !ids.has(p.target));
  if (request.kind === "drop") {
    if (existing.length > 0) ctx.log.info(`dropping the pinned interpreters (--no-embed-python)`);
    return [];
  }
  for (const pin of gone) ctx.log.info(`dropping the pin of ${pin.target} (${short(pin)}): the target is no longer locked`);
  const old = new Map(existing.filter((p) => ids.has(p.target)).map((p) => [p.target, p]));
  if (request.kind === "keep") {
    if (old.size === 0) return [];
    const pins: PythonPin[] = [];
    for (const target of sorted) {
      const pin = old.get(target.id);
      if (pin) pins.push(ctx.upgrade ? upgraded(pin, target, ctx) : pin);
    }
    const unpinned = sorted.filter((t) => !old.has(t.id)).map((t) => t.id);
    if (unpinned.length > 0) ctx.log.info(`no interpreter pinned for ${unpinned.join(", ")}: pin one with pystore lock --embed-python`);
    return pins;
  }
  const store = needStore(ctx);
  const named = request.ref === true ? undefined : await namedPython(store, request.ref, ctx.cwd);
  if (named && !sorted.some((t) => fitsTarget(named, t)))
    throw new PystoreError(
      "PYTHON_MISMATCH",
      `the interpreter ${named.entryName} fits none of the lock's targets (${sorted.map((t) => `${t.id}: ${describeWanted(wantedFor(t))}`).join("; ")})`,
      {
        hint: "name an interpreter built for a locked target (see `pystore python find --platform P --python X.Y`), or lock that interpreter's platform",
        details: { interpreter: named.sha256, targets: sorted.map((t) => t.id) },
      },
    );
  const pins: PythonPin[] = [];
  for (const target of sorted) {
    const pin = old.get(target.id);
    if (named && fitsTarget(named, target)) pins.push(pinOf(named, target));
    else if (pin) pins.push(ctx.upgrade ? upgraded(pin, target, ctx) : pin);
    else {
      const best = bestPython(store, target);
      if (!best) throw noPythonFor(target);
      pins.push(pinOf(best, target));
    }
  }
  for (const pin of pins) if (old.get(pin.target)?.sha256 !== pin.sha256) ctx.log.info(`pinned ${short(pin)} for ${pin.target}`);
  return pins;
}

/** --upgrade: the best stored interpreter for the target; the old pin when the store has none that fits. */
function upgraded(pin: PythonPin, target: Target, ctx: PinContext): PythonPin {
  const best = ctx.store ? bestPython(ctx.store, target) : undefined;
  if (best) return pinOf(best, target);
  ctx.log.warn(`--upgrade: no stored interpreter fits ${target.id}; keeping the pinned ${short(pin)}`);
  return pin;
}
