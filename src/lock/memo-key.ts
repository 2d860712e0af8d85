// The key of a lock memo (store-format/sqlite-schema.md, "lock_memos"): everything a resolution reads besides
// the index pages, hashed. Same key and same page bytes give the same lock, so a re-lock may skip resolving.

import { createHash } from "node:crypto";
import type { Pylock } from "../standards/pylock.js";
import { redactUrl } from "../util/redact.js";
import { sortKeysDeep } from "../util/stable-json.js";
import type { LockInputs } from "./inputs.js";
import { recordedPins } from "./python-pins.js";

/** Bumped when what the key covers changes: every memo written before is then a miss, never a wrong hit. */
export const LOCK_MEMO_KEY_VERSION = 1;

export interface MemoKeyParts {
  /** pystore's version: another resolver may answer differently from the same inputs. */
  version: string;
  /** The lock file (absolute): local paths in the lock are relative to its directory. */
  output: string;
  /** Every gathered input, targets with their tags and marker environments (not only their names). */
  inputs: LockInputs;
  /** The building settings in force (which projects may be built, the build interpreter, network). */
  build: unknown;
  /** The lock the resolution starts from: its versions are the resolver's preferences, its pins are kept. */
  existing?: Pylock;
}

/**
 * What the resolver takes from the existing lock: each package's name, version and marker, in file order
 * (lockPreferences in build-lock.ts reads exactly these), and the pinned interpreters.
 */
function fromExisting(existing: Pylock | undefined): unknown {
  if (!existing) return null;
  return {
    preferences: existing.packages.map((p) => [p.name, p.version ?? null, p.marker ?? null]),
    pins: recordedPins(existing),
  };
}

/** sha256 (hex) of the key's parts as stable JSON. */
export function lockMemoKey(parts: MemoKeyParts): string {
  const document = {
    memo: LOCK_MEMO_KEY_VERSION,
    pystore: parts.version,
    output: parts.output,
    inputs: parts.inputs,
    build: parts.build ?? null,
    existing: fromExisting(parts.existing),
  };
  return createHash("sha256")
    .update(JSON.stringify(sortKeysDeep(document)))
    .digest("hex");
}

/** What this run asks beyond its inputs (--refresh is not here: it changes when pages are asked for, not the result). */
export interface MemoRun {
  upgrade?: boolean;
  upgradePackages?: string[];
  offline?: boolean;
  checkBuilds?: boolean;
  /** The pins are being changed (--embed-python, --no-embed-python). */
  pinChange?: boolean;
}

const remote = (url: string) => /^https?:\/\//i.test(url);

/**
 * Why this run may neither use nor record a memo (a reason, for the debug log), or undefined. Pages are
 * recorded only through the HTTP cache: an index on disk or a find-links location is read without it, so its
 * contents could be in no memo.
 */
export function memoBlocker(inputs: LockInputs, run: MemoRun): string | undefined {
  if (run.upgrade || run.upgradePackages?.length) return "--upgrade asks for a new resolution";
  if (run.offline) return "offline runs read the store and stale pages";
  if (run.checkBuilds) return "--check-builds builds again";
  if (run.pinChange) return "the pinned interpreters change";
  if (inputs.noIndex) return "--no-index reads find-links only";
  if (inputs.findLinks.length > 0) return "find-links are read without the HTTP cache";
  const indexes = [inputs.indexUrl, ...inputs.extraIndexUrls, ...Object.values(inputs.indexPins ?? {})];
  const local = indexes.find((url) => !remote(url));
  if (local !== undefined) return `the index ${redactUrl(local)} is read without the HTTP cache`;
  return undefined;
}
