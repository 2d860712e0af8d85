// Every command pystore has, declared without loading its implementation.
// Each area registers its own commands in src/cli/commands-<area>.ts.

import type { Command } from "commander";
import type { HandlerLoader } from "./main.js";
import { registerTargetCommands } from "./commands-targets.js";
import { registerIndexCommands } from "./commands-index.js";
import { registerBundleCommands } from "./commands-bundle.js";
import { registerStoreCommands } from "./commands-store.js";
import { registerPythonCommands } from "./commands-python.js";
import { registerLockCommands } from "./commands-lock.js";
import { registerSetupCommands } from "./commands-setup.js";
import { registerCompletionCommand } from "./completion/command.js";

export type ActionFactory = (load: HandlerLoader) => (...args: unknown[]) => Promise<void>;

export function registerCommands(program: Command, action: ActionFactory): void {
  // Listed in --help in the order of the workflow: lock → fetch → bundle, then the store and tools.
  registerLockCommands(program, action);
  registerBundleCommands(program, action);
  registerStoreCommands(program, action);
  registerPythonCommands(program, action);
  registerIndexCommands(program, action);
  registerTargetCommands(program, action);
  registerSetupCommands(program, action);
  registerCompletionCommand(program, action);
}
