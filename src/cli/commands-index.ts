// Commands about package indexes: `pystore index show`; and the index flags other network commands share.

import type { Command } from "commander";
import type { ActionFactory } from "./register.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Declare the index/network flags on `command` (they arrive as IndexFlags, parsed by src/commands/settings.ts). */
export function addIndexOptions(command: Command): Command {
  return command
    .option(
      "--index-url <url>",
      "simple index URL (default: $PYSTORE_INDEX_URL, else https://pypi.org/simple/); credentials may be in the URL",
    )
    .option(
      "--extra-index-url <url>",
      "another index, consulted after --index-url (repeatable; default: $PYSTORE_EXTRA_INDEX_URL)",
      collect,
    )
    .option("--find-links <dir-or-url>", "a directory of wheels or an HTML page of links (repeatable)", collect)
    .option(
      "--no-index",
      "consult no index (ignore --index-url, --extra-index-url, their variables and config): only --find-links ($PYSTORE_NO_INDEX=1)",
    )
    .option("--index-strategy <strategy>", "first-index (default: a project comes from the first index that has it) or unsafe-best-match")
    .option("--proxy <url>", "HTTP(S) proxy, http://[user:password@]host:port (default: $https_proxy/$http_proxy/$all_proxy)")
    .option("--cert <file>", "PEM bundle of extra CA certificates to trust (default: $SSL_CERT_FILE)")
    .option("--connect-timeout <seconds>", "TCP/TLS connect timeout (default: $PYSTORE_CONNECT_TIMEOUT, else 10)")
    .option("--read-timeout <seconds>", "time without data before a request is retried (default: $PYSTORE_READ_TIMEOUT, else 30)")
    .option("--retries <n>", "retries of a failed request, with backoff (default: $PYSTORE_RETRIES, else 3)")
    .option("--offline", "use only cached index pages, local sources and the store", false)
    .option("--refresh", "ask the index again for every page, even one its Cache-Control max-age says is still fresh", false);
}

/**
 * Only the credential and transport flags, for commands that download from URLs a lock already records
 * (`fetch`): index URLs there lend their credentials to downloads from the same host and port.
 */
export function addTransportOptions(command: Command): Command {
  return command
    .option(
      "--index-url <url>",
      "credentials for downloads: USER:PASSWORD in this URL apply to files on the same host and port (default: $PYSTORE_INDEX_URL)",
    )
    .option("--extra-index-url <url>", "more credentials the same way (repeatable; default: $PYSTORE_EXTRA_INDEX_URL)", collect)
    .option("--proxy <url>", "HTTP(S) proxy, http://[user:password@]host:port (default: $https_proxy/$http_proxy/$all_proxy)")
    .option("--cert <file>", "PEM bundle of extra CA certificates to trust (default: $SSL_CERT_FILE)")
    .option("--connect-timeout <seconds>", "TCP/TLS connect timeout (default: $PYSTORE_CONNECT_TIMEOUT, else 10)")
    .option("--read-timeout <seconds>", "time without data before a request is retried (default: $PYSTORE_READ_TIMEOUT, else 30)")
    .option("--retries <n>", "retries of a failed request, with backoff (default: $PYSTORE_RETRIES, else 3)")
    .option("--offline", "use only the store (fail on any wheel not yet in it)", false);
}

export function registerIndexCommands(program: Command, action: ActionFactory): void {
  const index = program.command("index").description("inspect package indexes");
  addIndexOptions(
    index
      .command("show")
      .argument("<name>", "project name")
      .description(
        "list the files a project has on the configured indexes (flags, then the project's [tool.pystore]): version, tags, requires-python, yanked, hash, metadata",
      ),
  )
    .option("--project <dir>", "use this project's [tool.pystore] index settings and pins, as `lock` does (default: .)")
    .option("--json", "machine-readable output with full detail", false)
    .action(action(() => import("../commands/index-show.js")));
}
