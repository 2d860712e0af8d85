// Commands about the store: `pystore store add|ls|info|path|du|verify|gc|roots|export|import` and `pystore serve`.

import type { Command } from "commander";
import { addIndexOptions } from "./commands-index.js";
import type { ActionFactory } from "./register.js";

export function registerStoreCommands(program: Command, action: ActionFactory): void {
  const store = program
    .command("store")
    .description("manage the local wheel store (by sha256): add, list, verify and repair, gc, export and import air-gap closures");
  store
    .command("add")
    .description("import local wheel files into the store")
    .argument("<wheels...>", "wheel files")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-add.js")));
  store
    .command("ls")
    .description("list every stored wheel")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-ls.js")));
  store
    .command("info")
    .description("show what is recorded about stored wheels matching a name, filename or digest prefix")
    .argument("<query>", "project name, wheel filename, sha256 prefix or entry-digest prefix")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-info.js")));
  store
    .command("path")
    .description("print the store directory in use")
    .action(action(() => import("../commands/store-path.js")));
  store
    .command("du")
    .description("show how much space the stored wheels take")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-du.js")));
  addIndexOptions(
    store.command("verify").description("re-hash every stored wheel; exits 6 if any is damaged (index flags apply to --repair)"),
  )
    .option("--repair", "re-fetch damaged wheels from their recorded origin", false)
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-verify.js")));
  store
    .command("gc")
    .description("delete stored wheels no live root (lock, bundle, fetch) reaches")
    .option("--dry-run", "only say what would be deleted", false)
    .option("--grace <seconds>", "keep entries added within this many seconds (default 3600)")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-gc.js")));
  store
    .command("roots")
    .description("list gc roots and say which are stale")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-roots.js")));
  store
    .command("export")
    .description("write a closure archive of what a lock (or the named projects) needs, for an air-gapped machine")
    .argument("[names...]", "project names, filenames or digest prefixes (with their stored dependencies)")
    .option("-l, --lock <pylock.toml>", "export every wheel the lock names, for all its targets")
    .option("-o, --output <file>", "the archive to write (tar)")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-export.js")));
  store
    .command("import")
    .description("verify a closure archive and add its wheels to the store (all or nothing)")
    .argument("<archive>", "a file written by `pystore store export`")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-import.js")));
  program
    .command("serve")
    .description("serve the store as a PEP 503/691 simple index (pip, uv: --index-url URL)")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (default: any free port)")
    .action(action(() => import("../commands/serve.js")));
}
