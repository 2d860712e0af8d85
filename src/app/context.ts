// What the application layer runs with: where it is (cwd, env), how it reports (log), which store it uses.

import type { Logger } from "../util/log.js";

/** Where the store is: --store, else $PYSTORE_STORE, else the XDG default (resolved once, at the command edge). */
export interface StoreSettings {
  dir: string;
}

/** One target as named by the user: a platform (`host`, a tag family or a complete-platform JSON file) and a Python. */
export interface TargetSettings {
  platform: string;
  python?: string;
}

export interface AppContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  log: Logger;
  store: StoreSettings;
}
