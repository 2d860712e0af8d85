// `pystore index show NAME`: the files a project has on the configured indexes, for debugging an index.

import type { CommandContext, Handler } from "./context.js";
import { type IndexFlags, indexRequest, storeSettings, transportSettings } from "./settings.js";
import { PystoreError } from "../errors.js";
import type { HttpCache } from "../index-client/cache.js";
import { clientOptions } from "../index-client/settings.js";
import { indexSettings, readProject } from "../lock/index-config.js";
import { assertProjectName, canonicalizeName } from "../standards/normalize.js";
import { compareVersions, isValidVersion } from "../standards/pep440.js";
import type { ProjectFile } from "../standards/simple-api.js";
import { parseSdistFilename, parseWheelFilename } from "../standards/wheel-filename.js";
import { compareStrings } from "../util/order.js";
import { redactUrl, stripCredentials } from "../util/redact.js";
import { sortKeysDeep } from "../util/stable-json.js";

interface IndexShowOptions extends IndexFlags {
  json: boolean;
  project?: string;
}

interface Row {
  filename: string;
  version: string;
  kind: "wheel" | "sdist" | "other";
  tags: string;
  file: ProjectFile;
}

function describe(file: ProjectFile): Row {
  try {
    if (file.filename.endsWith(".whl")) {
      const w = parseWheelFilename(file.filename);
      const compressed = [w.pythonTags.join("."), w.abiTags.join("."), w.platformTags.join(".")].join("-");
      return { filename: file.filename, version: w.version, kind: "wheel", tags: compressed, file };
    }
    const s = parseSdistFilename(file.filename);
    return { filename: file.filename, version: s.version, kind: "sdist", tags: "sdist", file };
  } catch {
    return { filename: file.filename, version: "?", kind: "other", tags: "?", file };
  }
}

/** Newest version first (invalid versions last), then filename. */
function order(a: Row, b: Row): number {
  const va = isValidVersion(a.version);
  const vb = isValidVersion(b.version);
  if (va && vb) {
    const c = compareVersions(b.version, a.version);
    if (c !== 0) return c;
  } else if (va !== vb) return va ? -1 : 1;
  return compareStrings(a.filename, b.filename);
}

/** An object with sorted keys and without undefined members, for --json. */
function sortedObject(entries: [string, unknown][]): Record<string, unknown> {
  return sortKeysDeep(Object.fromEntries(entries));
}

function jsonRow(row: Row): Record<string, unknown> {
  const f = row.file;
  return sortedObject([
    ["filename", f.filename],
    ["version", row.version],
    ["kind", row.kind],
    ["tags", row.tags],
    ["url", redactUrl(stripCredentials(f.url))],
    ["index", redactUrl(f.index)],
    ["hashes", f.hashes],
    ["requiresPython", f.requiresPython ?? null],
    ["yanked", f.yanked ? (f.yanked.reason ?? true) : false],
    ["size", f.size ?? null],
    ["uploadTime", f.uploadTime ?? null],
    ["coreMetadata", f.coreMetadata ? { hashes: f.coreMetadata.hashes } : null],
  ]);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i])))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

async function openCache(ctx: CommandContext): Promise<{ cache?: HttpCache; close(): void }> {
  // The store's SQLite cache lets `--offline` answer from earlier runs; without a store we still work uncached.
  try {
    const { openStore } = await import("../store/store.js");
    const store = await openStore({ dir: storeSettings(ctx).dir, log: ctx.log, readonly: true });
    return { cache: store.httpCache(), close: () => store.close() };
  } catch (error) {
    ctx.log.debug(`no HTTP cache: ${error instanceof Error ? error.message : String(error)}`);
    return { close() {} };
  }
}

const handler: Handler<IndexShowOptions> = async (args, options, ctx) => {
  const name = args[0];
  if (!name) throw new PystoreError("USAGE", "index show needs a project name");
  assertProjectName(name);
  // The same sources `lock` would use here: flags, variables, then the project's [tool.pystore] (pins too).
  const { projectDir, pyproject } = await readProject(options.project, ctx.cwd);
  const where = indexSettings(indexRequest(options, ctx.env, { cwd: ctx.cwd }), { config: pyproject?.index });
  if (pyproject) ctx.log.debug(`index settings from ${pyproject.path} and the command line`);
  const { IndexClient } = await import("../index-client/client.js");
  const store = await openCache(ctx);
  const client = new IndexClient({
    ...clientOptions(where, transportSettings(options, ctx.env, { cwd: ctx.cwd }), { env: ctx.env, cwd: projectDir, log: ctx.log }),
    cache: store.cache,
  });
  try {
    const pinnedTo = client.pinFor(name);
    const files = await client.getProject(name);
    const rows = files.map(describe).sort(order);
    if (options.json) {
      ctx.out(
        JSON.stringify(
          sortedObject([
            ["project", canonicalizeName(name)],
            ["indexes", client.indexes.map(redactUrl)],
            ["findLinks", client.findLinks.map(redactUrl)],
            ["pinnedTo", pinnedTo === undefined ? undefined : redactUrl(pinnedTo)],
            ["strategy", client.strategy],
            ["files", rows.map(jsonRow)],
          ]),
          null,
          2,
        ),
      );
      return 0;
    }
    const header = ["VERSION", "FILENAME", "TAGS", "REQUIRES-PYTHON", "YANKED", "SHA256", "METADATA"];
    const lines = rows.map((r) => [
      r.version,
      r.filename,
      r.tags,
      r.file.requiresPython ?? "-",
      r.file.yanked ? (r.file.yanked.reason ? `yes (${r.file.yanked.reason})` : "yes") : "no",
      r.file.hashes.sha256 ? r.file.hashes.sha256.slice(0, 12) : "-",
      r.file.coreMetadata ? "yes" : "no",
    ]);
    const from =
      pinnedTo !== undefined
        ? `${redactUrl(pinnedTo)} (pinned by [tool.pystore] index-pins)`
        : [...client.indexes, ...client.findLinks].map(redactUrl).join(", ");
    ctx.out(`${canonicalizeName(name)}: ${rows.length} file${rows.length === 1 ? "" : "s"} from ${from}`);
    if (rows.length) ctx.out(table([header, ...lines]));
    return 0;
  } finally {
    await client.close();
    store.close();
  }
};

export default handler;
