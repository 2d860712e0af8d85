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

type Register = (program: Command, action: ActionFactory) => void;

// Listed in --help in the order of the workflow: lock → fetch → bundle, then the store and tools.
const AREAS: Register[] = [
  registerLockCommands,
  registerBundleCommands,
  registerStoreCommands,
  registerPythonCommands,
  registerIndexCommands,
  registerTargetCommands,
  registerSetupCommands,
  registerCompletionCommand,
];

/**
 * The area declaring each top-level command: a run that names one registers that area alone, since
 * declaring every command's options costs commander ~3 ms. `completion` reads every command, so it is not here.
 */
const AREA_OF: Record<string, Register> = {
  lock: registerLockCommands,
  fetch: registerLockCommands,
  tree: registerLockCommands,
  export: registerLockCommands,
  bundle: registerBundleCommands,
  store: registerStoreCommands,
  serve: registerStoreCommands,
  python: registerPythonCommands,
  index: registerIndexCommands,
  tags: registerTargetCommands,
  init: registerSetupCommands,
  config: registerSetupCommands,
  doctor: registerSetupCommands,
};

/**
 * Declare the commands: every one, or only the area of `command` when one is named (and known); none
 * for "" (a run that asks for the version).
 */
export function registerCommands(program: Command, action: ActionFactory, command?: string): void {
  if (command === "") return;
  const area = command !== undefined && Object.hasOwn(AREA_OF, command) ? AREA_OF[command] : undefined;
  for (const register of area ? [area] : AREAS) register(program, action);
}
