// Commands about the store: `pystore store add|ls|info|path|du|verify|reindex|gc|roots|export|import|push|pull` and `pystore serve`;
// and the remote-store flags `fetch` and `bundle` share.

import type { Command } from "commander";
import { addIndexOptions } from "./commands-index.js";
import type { ActionFactory } from "./register.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

const collectRefs = (value: string, previous: string[] = []) => [...previous, value];

/** The flags that name remote stores (OCI registries) consulted before any index; `pushTo` adds fetch's --push-to. */
export function addRemoteStoreOptions(command: Command, opts: { pushTo?: boolean } = {}): Command {
  command
    .option(
      "--remote-store <oci-ref>",
      "an OCI registry repository to take locked wheels from by digest before any index, oci://HOST[:PORT]/REPO (repeatable; default: $PYSTORE_REMOTE_STORE, else [tool.pystore] remote-stores)",
      collectRefs,
    )
    .option(
      "--insecure-registry <host[:port]>",
      "speak plain HTTP to this registry (loopback always does; repeatable; also $PYSTORE_INSECURE_REGISTRY)",
      collectRefs,
    );
  if (opts.pushTo) command.option("--push-to <oci-ref>", "afterwards, push what was fetched to this registry repository as one closure");
  return command;
}

/** Proxy, CA and timeout flags for commands that talk only to registries (`store push`, `store pull`). */
function addRegistryOptions(command: Command): Command {
  return command
    .option(
      "--insecure-registry <host[:port]>",
      "speak plain HTTP to this registry (loopback always does; repeatable; also $PYSTORE_INSECURE_REGISTRY)",
      collectRefs,
    )
    .option("--proxy <url>", "HTTP(S) proxy, http://[user:password@]host:port (default: $https_proxy/$http_proxy/$all_proxy)")
    .option("--cert <file>", "PEM bundle of extra CA certificates to trust (default: $SSL_CERT_FILE)")
    .option("--connect-timeout <seconds>", "TCP/TLS connect timeout (default: $PYSTORE_CONNECT_TIMEOUT, else 10)")
    .option("--read-timeout <seconds>", "time without data before a request is retried (default: $PYSTORE_READ_TIMEOUT, else 30)")
    .option("--retries <n>", "retries of a failed request, with backoff (default: $PYSTORE_RETRIES, else 3)");
}

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
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-path.js")));
  store
    .command("du")
    .description("show how much space the store takes: wheels, trees, interpreters, pool files no tree uses, and the rest")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-du.js")));
  addIndexOptions(
    store.command("verify").description("re-hash every stored wheel; exits 6 if any is damaged (index flags apply to --repair)"),
  )
    .option("--repair", "re-fetch damaged wheels from their recorded origin, re-extract trees, then re-index", false)
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-verify.js")));
  store
    .command("reindex")
    .description(
      "rebuild the store database from the wheel files (after store.db was lost or damaged; a damaged one is moved aside); exits 6 if some wheel could not be indexed",
    )
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-reindex.js")));
  store
    .command("gc")
    .description("delete stored wheels no live root (lock, bundle, fetch) reaches")
    .option("--dry-run", "only say what would be deleted", false)
    .option("--grace <seconds>", "keep entries added within this many seconds (default 3600)")
    .option(
      "--accept-lost-roots",
      "after `store reindex` rebuilt the database: collect what the roots registered since do not reach",
      false,
    )
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
    .option("-l, --lock <pylock.toml>", "export the wheels the lock installs, for all its targets")
    .option("--extra <name>", "with -l: also a locked extra's wheels (repeatable)", collect)
    .option("--group <name>", "with -l: also a locked dependency group's wheels (repeatable)", collect)
    .option("--python <sha256-prefix>", "also carry this stored interpreter (repeatable; see `pystore python list`)", collect)
    .option("-o, --output <file>", "the archive to write (tar)")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-export.js")));
  store
    .command("import")
    .description("verify a closure archive and add its wheels to the store (all or nothing)")
    .argument("<archive>", "a file written by `pystore store export`")
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-import.js")));
  addRegistryOptions(
    store
      .command("push")
      .description("push a lock's wheels (or every stored wheel) to an OCI registry as one closure artifact, tagged by the lock's hash")
      .argument("<oci-ref>", "oci://HOST[:PORT]/REPO[:TAG]")
      .option("-l, --lock <pylock.toml>", "push every wheel this lock names (repeatable: one artifact per lock)", collectRefs)
      .option("--all", "push every stored wheel as one artifact", false)
      .option("--tag <tag>", "tag the artifact so (default: the reference's tag, else lock-<sha256 of the lock>)")
      .option(
        "--mount-from <repo>",
        "a repository on the same registry to mount blobs from instead of uploading them (repeatable)",
        collectRefs,
      ),
  )
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-push.js")));
  addRegistryOptions(
    store
      .command("pull")
      .description("verify a closure artifact from an OCI registry and add its wheels to the store (all or nothing)")
      .argument("<oci-ref>", "oci://HOST[:PORT]/REPO:TAG or oci://HOST[:PORT]/REPO@sha256:DIGEST"),
  )
    .option("--json", "machine-readable output", false)
    .action(action(() => import("../commands/store-pull.js")));
  program
    .command("serve")
    .description("serve the store as a PEP 503/691 simple index (pip, uv: --index-url URL)")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on (default: any free port)")
    .option("--json", "print the index URL as JSON, at once", false)
    .action(action(() => import("../commands/serve.js")));
}
