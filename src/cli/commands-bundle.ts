// Commands about bundles: `pystore bundle [build]`, `pystore bundle verify OUT` and `pystore bundle push DIR REF`.

import type { Command } from "commander";
import { addIndexOptions } from "./commands-index.js";
import { addRemoteStoreOptions } from "./commands-store.js";
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
    addRemoteStoreOptions(bundle.command("build", { isDefault: true }))
      .description("build a hermetic bundle (site-packages, app code, launchers) from a lock for one target")
      .option("-o, --output <out>", "where to write the bundle (a directory, OUT.tar.gz, OUT.pyz or an image layout OUT.oci); required")
      .option("-l, --lock <file>", "the PEP 751 lock to bundle (default: pylock.toml in the project)")
      .option("--frozen", "use the lock as it is, without checking it against the project")
      .option("--locked", "refuse a lock that is stale against the project (the default); a missing lock is an error, not made first")
      .option("--platform <platform>", "target platform (host, manylinux_x86_64, … or a complete-platform JSON file)", "host")
      .option("--python <version>", "target Python X.Y, or X.Y.Z where the lock depends on the patch level (default: the host's python3)")
      .option("--project <dir>", "the project whose code and scripts go in (default: the current directory if it has pyproject.toml)")
      .option("--format <format>", "dir, tar.gz, pyz or oci (an OCI image layout; default: from the -o suffix, else dir)")
      .option("--systemd", "write hardened systemd/PROJECT-EXE.service units ([tool.pystore.services] chooses which)", false)
      .option("--prefix <path>", "where the bundle will be installed, for systemd units and inside an image (default: /opt/NAME)")
      .option(
        "--entrypoint <name>",
        "--format oci: the executable the image runs (default: the only one, or the one named like the project)",
      )
      .option(
        "--base-image <image>",
        "--format oci: put the bundle on this image, an OCI layout DIR[:TAG] or oci://HOST/REPO[:TAG|@DIGEST]",
      )
      .option("--push <oci-ref>", "--format oci: afterwards, push the image to oci://HOST[:PORT]/REPO[:TAG]")
      .option("--user <user>", "User= for systemd units (default: DynamicUser=yes)")
      .option("--dep-scripts", "also make launchers for the dependencies' console_scripts", false)
      .option(
        "--copy",
        "copy files from the store instead of hardlinking them (a bundle sharing nothing with the store; also PYSTORE_LINK_MODE=hardlink|clone|copy)",
      )
      .option(
        "--embed-python [sha256-prefix|path]",
        "carry an interpreter from the store as OUT/python/ (default: the lock's pin for the target, else the best stored one; a path is added to the store first)",
      )
      .option("--no-embed-python", "embed no interpreter, not even the one the lock pins")
      .option("--compile", "write unchecked-hash .pyc files for every module (default: when a Python of the target's X.Y is at hand)")
      .option("--no-compile", "ship sources only")
      .option(
        "--build-python <path>",
        "the interpreter sdists are built with (default: $PYSTORE_PYTHON, else the user file's build-python, else python3.X)",
      )
      .option("--extra <name>", "include a locked extra (repeatable; default: none)", collect)
      .option("--group <name>", "include a locked dependency group (repeatable; default: none)", collect),
  )
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/bundle.js")));
  bundle
    .command("verify")
    .description(
      "check a bundle directory, .pyz, tar.gz or image layout against its manifest: changed, missing and extra files (exit 1 if any)",
    )
    .argument("<out>", "the bundle directory, .pyz or tar.gz file, or image layout directory")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/bundle-verify.js")));
  bundle
    .command("push")
    .description("push an image bundle (--format oci) to an OCI registry")
    .argument("<dir>", "the image bundle's layout directory")
    .argument("<ref>", "oci://HOST[:PORT]/REPO[:TAG] (default tag: the layout's, else latest)")
    .option(
      "--insecure-registry <host[:port]>",
      "speak plain HTTP to this registry (loopback always does; repeatable; also $PYSTORE_INSECURE_REGISTRY)",
      collect,
    )
    .option("--proxy <url>", "HTTP(S) proxy, http://[user:password@]host:port (default: $https_proxy/$http_proxy/$all_proxy)")
    .option("--cert <file>", "PEM bundle of extra CA certificates to trust (default: $SSL_CERT_FILE)")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/bundle-push.js")));
}
