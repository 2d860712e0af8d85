// Commands about package indexes: `pystore index show`; and the index flags other network commands share.

import type { Command } from "commander";
import type { ActionFactory } from "./register.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Declare the index/network flags on `command` (they arrive as IndexCliOptions, src/index-client/options.ts). */
export function addIndexOptions(command: Command): Command {
  return command
    .option("--index-url <url>", "simple index URL (default: $PYSTORE_INDEX_URL, else https://pypi.org/simple/); credentials may be in the URL")
    .option("--extra-index-url <url>", "another index, consulted after --index-url (repeatable)", collect)
    .option("--find-links <dir-or-url>", "a directory of wheels or an HTML page of links (repeatable)", collect)
    .option("--index-strategy <strategy>", "first-index (a project comes from the first index that has it) or unsafe-best-match", "first-index")
    .option("--proxy <url>", "HTTP(S) proxy, http://[user:password@]host:port (default: $https_proxy/$http_proxy/$all_proxy)")
    .option("--cert <file>", "PEM bundle of extra CA certificates to trust (default: $SSL_CERT_FILE)")
    .option("--offline", "use only cached index pages, local sources and the store", false);
}

export function registerIndexCommands(program: Command, action: ActionFactory): void {
  const index = program.command("index").description("inspect package indexes");
  addIndexOptions(
    index
      .command("show")
      .argument("<name>", "project name")
      .description("list the files a project has on the configured indexes: version, tags, requires-python, yanked, hash, metadata"),
  )
    .option("--json", "machine-readable output with full detail", false)
    .action(action(() => import("../commands/index-show.js")));
}
