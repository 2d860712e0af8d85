// Commands about locks: `lock`, `fetch`, `export requirements`.

import type { Command } from "commander";
import { addIndexOptions, addTransportOptions } from "./commands-index.js";
import type { ActionFactory } from "./register.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerLockCommands(program: Command, action: ActionFactory): void {
  // Index flags override requirements-file lines and [tool.pystore] (extra indexes and find-links add up).
  const lock = program
    .command("lock")
    .description("resolve requirements for one or more targets into a PEP 751 pylock.toml")
    .argument("[requirements...]", "requirement strings (default: the project's pyproject.toml)")
    .option("--project <dir>", "project directory holding pyproject.toml (default: .)")
    .option("-r, --requirement <file>", "read requirements from a pip requirements file (repeatable)", collect)
    .option("-o, --output <file>", "lock file to write (default: pylock.toml in the project directory)")
    .option("--platform <platform>", "target platform (repeatable; default: [tool.pystore] targets, else host)", collect)
    .option("--python <version>", "target Python X.Y (repeatable; combined with every --platform)", collect)
    .option("--add-target <platform:python>", "lock this target too, keeping the others (repeatable)", collect)
    .option("--prerelease <mode>", "allow, if-necessary-or-explicit (default), or disallow")
    .option("--exclude-newer <timestamp>", "ignore files uploaded after this RFC 3339 time or date")
    .option("--upgrade", "ignore the versions in the existing lock", false)
    .option("--upgrade-package <name>", "ignore the existing lock's version of this package (repeatable)", collect)
    .option("--extra <name>", "include this optional-dependencies extra (repeatable)", collect)
    .option("--group <name>", "include this PEP 735 dependency group (repeatable)", collect)
    .option("--check", "exit 1 if the lock is stale against the inputs (no network)", false)
    .option("--json", "machine-readable output", false);
  addIndexOptions(lock).action(action(() => import("../commands/lock.js")));

  // The lock's recorded URLs are used; the flags bring credentials (from index URLs), proxy, CA, timeouts, offline.
  const fetch = program
    .command("fetch")
    .description("download every locked wheel (or one target's) into the store, verifying size and sha256")
    .option("-l, --lock <file>", "lock file (default: pylock.toml in the project)")
    .option("--project <dir>", "the project the lock is checked against (default: the lock's directory if it has pyproject.toml)")
    .option("--frozen", "use the lock as it is, without checking it against the project")
    .option("--locked", "refuse a lock that is stale against the project (the default)")
    .option("--platform <platform>", "only the wheels this target installs")
    .option("--python <version>", "target Python X.Y (with --platform; default: the host's)")
    .option("-j, --jobs <n>", "parallel downloads, an integer >= 1 (default 4)")
    .option("--json", "machine-readable output", false);
  addTransportOptions(fetch).action(action(() => import("../commands/fetch.js")));

  const exportCommand = program.command("export").description("export a lock to other formats");
  exportCommand
    .command("requirements")
    .description("write one target's locked wheels as pip requirements with --hash lines")
    .option("-l, --lock <file>", "lock file (default: pylock.toml)")
    .option("--platform <platform>", "target platform (default: host)")
    .option("--python <version>", "target Python X.Y (default: the host's)")
    .option("-o, --output <file>", "write here instead of stdout")
    .action(action(() => import("../commands/export-requirements.js")));
}
