// Where the store lives: --store, else $PYSTORE_STORE, else $XDG_DATA_HOME/pystore, else ~/.local/share/pystore.

import { homedir } from "node:os";
import { join, resolve } from "node:path";

export function resolveStoreDir(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string = process.cwd()): string {
  if (flag) return resolve(cwd, flag);
  if (env.PYSTORE_STORE) return resolve(cwd, env.PYSTORE_STORE);
  // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME;
  if (xdg?.startsWith("/")) return join(xdg, "pystore");
  return join(env.HOME || homedir(), ".local", "share", "pystore");
}
