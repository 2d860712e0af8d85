// Commands about interpreters in the store: `pystore python add|list|find`.

import type { Command } from "commander";
import type { ActionFactory } from "./register.js";

export function registerPythonCommands(program: Command, action: ActionFactory): void {
  const python = program
    .command("python")
    .description("relocatable CPython interpreters in the store, for bundles that carry their own (bundle --embed-python)");
  python
    .command("add")
    .description("store relocatable interpreters: python-build-standalone install_only .tar.gz files or directories")
    .argument("<paths...>", "an install_only .tar.gz, or a directory holding python/bin/python3")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/python-add.js")));
  python
    .command("list")
    .description("list the stored interpreters")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/python-list.js")));
  python
    .command("find")
    .description("the stored interpreters that can run a target's bundles, best first (exit 1 if none)")
    .option("--platform <platform>", "target platform (host, manylinux_x86_64, … or a complete-platform JSON file)", "host")
    .option("--python <version>", "target Python X.Y (default: the host's python3)")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/python-find.js")));
}
