// What `node:child_process` resolves to inside the bundled CLI (bin/build-bundle.mjs, esbuild's `alias`).
// commander requires child_process as it loads, for executable subcommands, which pystore does not use, and
// Node then loads net, dgram and their dependencies too: ~5 ms on every command. Here the module is loaded on
// the first call instead, so only the commands that start a process pay for it.
//
// Only what pystore and commander call is here. A named import of anything else fails the bundle build; a
// CommonJS `require("node:child_process").other` would not (it would be undefined at run time), so a new
// dependency that starts processes must be checked against this list.

import type * as ChildProcess from "node:child_process";
import { promisify } from "node:util";

const load = (): typeof ChildProcess => process.getBuiltinModule("node:child_process");

export const execFile = ((...args: Parameters<typeof ChildProcess.execFile>) => load().execFile(...args)) as typeof ChildProcess.execFile;
// promisify(execFile) resolves to { stdout, stderr } through the real function's custom form: keep it.
Object.defineProperty(execFile, promisify.custom, { get: () => (load().execFile as unknown as Record<symbol, unknown>)[promisify.custom] });

export const spawn = ((...args: Parameters<typeof ChildProcess.spawn>) => load().spawn(...args)) as typeof ChildProcess.spawn;

export const spawnSync = ((...args: Parameters<typeof ChildProcess.spawnSync>) =>
  load().spawnSync(...args)) as typeof ChildProcess.spawnSync;
