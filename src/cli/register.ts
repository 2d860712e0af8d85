// Every command pystore has, declared without loading its implementation.
// Each area registers its own commands in src/cli/commands-<area>.ts.

import type { Command } from "commander";
import type { HandlerLoader } from "./main.js";
import { registerTargetCommands } from "./commands-targets.js";

export type ActionFactory = (load: HandlerLoader) => (...args: unknown[]) => Promise<void>;

export function registerCommands(program: Command, action: ActionFactory): void {
  registerTargetCommands(program, action);
}
