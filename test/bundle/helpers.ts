// Shared helpers for bundle tests: temp dirs that are always removed, and running real processes.

import { spawnSync, type SpawnSyncOptions } from "node:child_process";

export { tempDir } from "../helpers/temp.js";

export function run(
  command: string,
  args: string[],
  opts: SpawnSyncOptions = {},
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 60_000, ...opts });
  return { status: result.status, stdout: String(result.stdout ?? ""), stderr: String(result.stderr ?? "") };
}

/** A Python 3.11 every test can count on: the Debian one (the launcher's PATH search finds it under env -i). */
export const SYSTEM_PYTHON = "/usr/bin/python3.11";

/**
 * Rename zip entries in place (local headers and central directory alike). yazl refuses to write
 * hostile names, so tests write a same-length harmless name and patch it: CRCs cover data, not names.
 */
export function patchEntryName(zip: Buffer, from: string, to: string): Buffer {
  const a = Buffer.from(from);
  const b = Buffer.from(to);
  if (a.length !== b.length) throw new Error("patchEntryName: names must have the same byte length");
  const out = Buffer.from(zip);
  let count = 0;
  for (let i = out.indexOf(a); i >= 0; i = out.indexOf(a, i + 1)) {
    b.copy(out, i);
    count++;
  }
  if (count < 2) throw new Error(`patchEntryName: ${from} found ${count} times`);
  return out;
}
