// Commands about targets: `pystore tags`.

import type { Command } from "commander";
import type { ActionFactory } from "./register.js";

export function registerTargetCommands(program: Command, action: ActionFactory): void {
  program
    .command("tags")
    .description("print a target's compatible wheel tags (best first) and its PEP 508 marker environment")
    .option(
      "--platform <platform>",
      "target platform (manylinux_x86_64, manylinux_2_17_x86_64, musllinux_x86_64, macosx_arm64, win_amd64, host, or a complete-platform JSON file)",
      "host",
    )
    .option("--python <version>", "target Python version, e.g. 3.11 (default: the host's python3)")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/tags.js")));
}
