// Commands for getting started: `pystore config show`, `pystore doctor`, `pystore init`.

import type { Command } from "commander";
import { addIndexOptions } from "./commands-index.js";
import type { ActionFactory } from "./register.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerSetupCommands(program: Command, action: ActionFactory): void {
  program
    .command("init")
    .description(
      "add a [tool.pystore] table (targets, libs, scripts) to this project's pyproject.toml, inferred from its layout and this machine",
    )
    .option("--project <dir>", "the project directory (default: .)")
    .option("--dry-run", "print the table without writing it", false)
    .option("--force", "replace an existing [tool.pystore] table (the rest of the file is kept)", false)
    .option("-y, --yes", "do not ask, even at a terminal", false)
    .action(action(() => import("../commands/init.js")));

  const config = program.command("config").description("inspect pystore's configuration");
  addIndexOptions(
    config
      .command("show")
      .description("print every effective setting and where it came from (flag, variable, project file, user file, default)"),
  )
    .option("--project <dir>", "read this project's pystore.toml and [tool.pystore] (default: .)")
    .option("-j, --jobs <n>", "as `fetch -j`")
    .option("--copy", "as `bundle --copy` (link-mode copy)", false)
    .option("--remote-store <ref>", "as `fetch --remote-store` (repeatable)", collect)
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/config-show.js")));

  program
    .command("doctor")
    .description("check the configuration, the store, Python interpreters, proxy/CA/netrc and every configured index")
    .option("--project <dir>", "check this project's configuration (default: .)")
    .option("--timeout <seconds>", "how long each index may take to answer (default 5)")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/doctor.js")));
}
