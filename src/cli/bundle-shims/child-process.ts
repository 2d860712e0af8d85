// What `node:child_process` resolves to inside the bundled CLI (package.json, build:bundle:cli's --alias).
// commander requires child_process as it loads, for executable subcommands, which pystore does not use, and
// Node then loads net, dgram and their dependencies too: ~5 ms on every command. Here the module is loaded on
// the first call instead, so only the commands that start a process pay for it. Only what pystore calls is
// exported: a new import of anything else fails the bundle build, not a run.

import type * as ChildProcess from "node:child_process";

const load = (): typeof ChildProcess => process.getBuiltinModule("node:child_process");

export const execFile = ((...args: Parameters<typeof ChildProcess.execFile>) => load().execFile(...args)) as typeof ChildProcess.execFile;

export const spawn = ((...args: Parameters<typeof ChildProcess.spawn>) => load().spawn(...args)) as typeof ChildProcess.spawn;

export const spawnSync = ((...args: Parameters<typeof ChildProcess.spawnSync>) =>
  load().spawnSync(...args)) as typeof ChildProcess.spawnSync;
