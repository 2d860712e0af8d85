// Which interpreter a bundle embeds (docs/interpreters.md): the lock's pin for the target when it has one
// (embedded by default: the lock says so), else what --embed-python names; --no-embed-python opts out.

import { PystoreError } from "../errors.js";
import { pinFor } from "../lock/python-pins.js";
import { pinnedPython, selectPython } from "../python/select.js";
import type { Pylock } from "../standards/pylock.js";
import type { Target } from "../standards/targets.js";
import type { PythonEntry } from "../store/pythons.js";
import type { Store } from "../store/store.js";
import type { Logger } from "../util/log.js";

export interface EmbedChoice {
  /** --embed-python [REF] (true without one); false: --no-embed-python; undefined: neither. */
  request: true | string | false | undefined;
  /** The lock the bundle is made from (undefined: it is made first, so it pins nothing yet). */
  lock?: Pylock;
  lockPath: string;
  /** Whether the bundle's format can carry an interpreter (dir, tar.gz). */
  canEmbed: boolean;
  store: Store;
  cwd: string;
  log: Logger;
}

/**
 * The interpreter to embed, checked against the target, or undefined. An explicit REF that is not the
 * lock's pin is refused (PYTHON_MISMATCH naming both), with or without --frozen: the pin is part of the
 * lock's content, as its wheels' hashes are, and a re-lock is how it changes.
 */
export async function bundlePython(target: Target, choice: EmbedChoice): Promise<PythonEntry | undefined> {
  const { request, store, log } = choice;
  const pin = pinFor(choice.lock, target.id);
  if (request === false) {
    if (pin) log.info(`not embedding the interpreter ${choice.lockPath} pins for ${target.id} (--no-embed-python)`);
    return undefined;
  }
  if (!pin) return request === undefined ? undefined : selectPython(store, request, target, choice.cwd);
  if (request === undefined && !choice.canEmbed) {
    log.info(`${choice.lockPath} pins an interpreter for ${target.id}, which this bundle format cannot carry: not embedded`);
    return undefined;
  }
  if (typeof request === "string") {
    const named = await selectPython(store, request, target, choice.cwd);
    if (named.sha256 !== pin.sha256)
      throw new PystoreError(
        "PYTHON_MISMATCH",
        `--embed-python ${request} is the interpreter ${named.sha256} (Python ${named.version}), but ${choice.lockPath} pins ${pin.sha256} (Python ${pin.version}) for ${target.id}`,
        {
          hint: `leave out the value to embed the pinned one, or pin this one: pystore lock --embed-python ${request}`,
          details: { given: named.sha256, pinned: pin.sha256, target: target.id },
        },
      );
    return named;
  }
  const entry = pinnedPython(store, pin, target, choice.lockPath);
  if (request === undefined) log.info(`embedding the interpreter ${choice.lockPath} pins for ${target.id}: ${entry.entryName}`);
  return entry;
}
