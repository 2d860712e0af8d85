// Commands about locks: `lock`, `fetch`, `tree`, `export requirements`.

import type { Command } from "commander";
import { addIndexOptions, addTransportOptions } from "./commands-index.js";
import { addRemoteStoreOptions } from "./commands-store.js";
import type { ActionFactory } from "./register.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];
/** commander gives a `--no-…` option with a value `true` as its default, not undefined. */
const collectNegatable = (value: string, previous: unknown) => [...(Array.isArray(previous) ? previous : []), value];

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
    .option("--python <version>", "target Python X.Y, or X.Y.Z where markers depend on the patch level (repeatable)", collect)
    .option("--add-target <platform:python>", "lock this target too, keeping the others (repeatable)", collect)
    .option("--prerelease <mode>", "allow, if-necessary-or-explicit (default), or disallow")
    .option("--exclude-newer <timestamp>", "ignore files uploaded after this RFC 3339 time or date")
    .option("--upgrade", "ignore the versions in the existing lock", false)
    .option("--upgrade-package <name>", "ignore the existing lock's version of this package (repeatable)", collect)
    .option("--extra <name>", "with requirements or -r: also lock this extra of pyproject.toml (a project lock has them all)", collect)
    .option("--group <name>", "with requirements or -r: also lock this dependency group (a project lock has them all)", collect)
    .option("--check", "exit 1 if the lock is stale against the inputs (no network)", false)
    .option("--no-build", "wheels only: never build an sdist (default: build when no wheel fits a target)")
    .option("--no-build-package <name>", "never build this package from its sdist (repeatable)", collectNegatable)
    .option("--no-binary-package <name>", "build this package from its sdist even when a wheel fits (repeatable)", collectNegatable)
    .option(
      "--build-python <path>",
      "the interpreter sdists are built with (default: $PYSTORE_PYTHON, else the user file's build-python, else python3.X)",
    )
    .option("--build-network", "let build backends reach the network (recorded in the lock)")
    .option("--check-builds", "build every sdist-built package again and fail if its bytes differ")
    .option(
      "--embed-python [sha256-prefix|path]",
      "pin an interpreter from the store per target, which bundles embed (default: the best stored one; a path is added first)",
    )
    .option("--no-embed-python", "drop the pinned interpreters (a re-lock keeps them otherwise)")
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
    .option("--python <version>", "target Python X.Y or X.Y.Z (with --platform; default: the host's)")
    .option("--extra <name>", "also a locked extra's wheels (repeatable; default: none)", collect)
    .option("--group <name>", "also a locked dependency group's wheels (repeatable; default: none)", collect)
    .option("-j, --jobs <n>", "parallel downloads, an integer >= 1 (default 4)")
    .option(
      "--build-python <path>",
      "the interpreter a locked wheel missing from the store is rebuilt with (default: $PYSTORE_PYTHON, else the user file's build-python, else python3.X)",
    )
    .option("--json", "machine-readable output", false);
  addTransportOptions(addRemoteStoreOptions(fetch, { pushTo: true })).action(action(() => import("../commands/fetch.js")));

  program
    .command("tree")
    .description("show the locked dependency graph per target, or with --invert NAME what brings NAME in")
    .option("-l, --lock <file>", "lock file (default: pylock.toml)")
    .option("--platform <platform>", "one target's tree (default: every target the lock records)")
    .option("--python <version>", "target Python X.Y or X.Y.Z (with --platform; default: the host's)")
    .option("--invert <name>", "the paths from the root requirements to this package")
    .option("--extra <name>", "include a locked extra (repeatable; default: none)", collect)
    .option("--group <name>", "include a locked dependency group (repeatable; default: none)", collect)
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/tree.js")));

  const exportCommand = program.command("export").description("export a lock to other formats");
  exportCommand
    .command("requirements")
    .description("write one target's locked wheels as pip requirements with --hash lines")
    .option("-l, --lock <file>", "lock file (default: pylock.toml)")
    .option("--platform <platform>", "target platform (default: host)")
    .option("--python <version>", "target Python X.Y or X.Y.Z (default: the host's)")
    .option("--extra <name>", "include a locked extra (repeatable; default: none)", collect)
    .option("--group <name>", "include a locked dependency group (repeatable; default: none)", collect)
    .option("-o, --output <file>", "write here instead of stdout")
    .option("--json", "print the requirements as JSON (with -o, what was written)", false)
    .action(action(() => import("../commands/export-requirements.js")));
}
