// What every command handler receives (global options, a logger, the output streams) and the handler type; src/cli builds these.

import type { Logger } from "../util/log.js";

export interface GlobalOptions {
  verbose: boolean;
  quiet: boolean;
  /** --store DIR (else PYSTORE_STORE, else the XDG default; resolved by the store module). */
  store?: string;
}

export interface CommandContext {
  global: GlobalOptions;
  log: Logger;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Data output (stdout). Handlers write results here and nothing else. */
  out(text: string): void;
  /**
   * Writes what `out` holds now. With --json, output is held until the command ends (so a failure can still
   * end in one JSON document); a command that runs until interrupted (`serve`) reports its start here.
   */
  flush(): void;
}

/** A command handler: returns the exit code (0 unless a check said "no"); throws PystoreError on failure. */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers that only report success return nothing.
export type Handler<O> = (args: string[], options: O, ctx: CommandContext) => Promise<number | void>;
