// Commands about bundles: `pystore bundle [build]` and `pystore bundle verify OUT`.

import type { Command } from "commander";
import { addIndexOptions } from "./commands-index.js";
import type { ActionFactory } from "./register.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerBundleCommands(program: Command, action: ActionFactory): void {
  // A command group whose default subcommand is the build: commander hands a parent's options every
  // flag that follows the subcommand name, so with the build's options on `bundle` itself,
  // `bundle verify OUT --json` set the build's --json. Here each subcommand owns its own options.
  const bundle = program
    .command("bundle")
    .description("build a hermetic bundle from a lock (`bundle build`, the default) or check one (`bundle verify OUT`)");
  addIndexOptions(
    bundle
      .command("build", { isDefault: true })
      .description("build a hermetic bundle (site-packages, app code, launchers) from a lock for one target")
      .option("-o, --output <out>", "where to write the bundle (a directory, OUT.tar.gz or OUT.pyz); required")
      .option("-l, --lock <file>", "the PEP 751 lock to bundle (default: pylock.toml in the project)")
      .option("--frozen", "use the lock as it is, without checking it against the project")
      .option("--locked", "refuse a lock that is stale against the project (the default); a missing lock is an error, not made first")
      .option("--platform <platform>", "target platform (host, manylinux_x86_64, … or a complete-platform JSON file)", "host")
      .option("--python <version>", "target Python version, e.g. 3.11 (default: the host's python3)")
      .option("--project <dir>", "the project whose code and scripts go in (default: the current directory if it has pyproject.toml)")
      .option("--format <format>", "dir, tar.gz or pyz (default: from the -o suffix, else dir)")
      .option("--systemd", "write hardened systemd/PROJECT-EXE.service units ([tool.pystore.services] chooses which)", false)
      .option("--prefix <path>", "where the bundle will be installed, for systemd units (default: /opt/NAME)")
      .option("--user <user>", "User= for systemd units (default: DynamicUser=yes)")
      .option("--dep-scripts", "also make launchers for the dependencies' console_scripts", false)
      .option(
        "--copy",
        "copy files from the store instead of hardlinking them (a bundle sharing nothing with the store; also PYSTORE_LINK_MODE=hardlink|clone|copy)",
      )
      .option("--extra <name>", "include a locked extra (repeatable)", collect)
      .option("--group <name>", "include a locked dependency group (repeatable)", collect),
  )
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/bundle.js")));
  bundle
    .command("verify")
    .description("check a bundle directory, .pyz or tar.gz against its manifest: changed, missing and extra files (exit 1 if any)")
    .argument("<out>", "the bundle directory, .pyz or tar.gz file")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/bundle-verify.js")));
}
