// Installing the selected wheels from the store's trees, in the plan's order: each tree made (or found)
// intact, then installed. A staged tree (the dir format) links its files on threads (LinkPool) while the
// next wheel is planned; an existing tree is then checked by the thread just before it links, and one found
// damaged is extracted again and linked afresh before the build goes on, so no damaged byte is published.

import { type InstalledWheel, type InstallDestination, install } from "../install/core.js";
import type { FileImporter } from "../install/importer.js";
import { LinkPool } from "../install/link-pool.js";
import { BUNDLE_SCHEME } from "../install/scheme.js";
import type { TreeWriter } from "../install/tree-writer.js";
import type { StoreEntry } from "../store/entries.js";
import { extractAgain, type Tree, treeSource } from "../store/tree.js";
import { packTreeFiles } from "../install/intact-files.js";
import { treePool } from "../store/tree-pool.js";
import type { Logger } from "../util/log.js";
import { startProgress } from "../util/progress.js";
import type { WheelSource } from "../wheel/source.js";

export interface TreeInstallRequest {
  storeDir: string;
  /** The wheels' store entries, in the plan's order. */
  entries: StoreEntry[];
  /** Where files go (archives: listed, nothing written). */
  destination: InstallDestination;
  /** The dir format's writer and importer: files are then linked by a LinkPool. */
  staged?: { writer: TreeWriter; importer: FileImporter };
  log: Logger;
}

/**
 * Wheels this large in all are sure to have enough files to link that a thread pays for itself (link-pool.ts,
 * MIN_FILES_FOR_THREADS): it is started before the first tree is read, so its start-up overlaps the plan.
 */
const EAGER_THREAD_BYTES = 64 * 1024 * 1024;

const warnDamaged = (log: Logger, entry: StoreEntry, path: string) =>
  log.warn(`${entry.filename}: the store's unpacked copy of ${path} had changed; re-extracted it from the verified wheel`);

export async function installTrees(req: TreeInstallRequest): Promise<InstalledWheel[]> {
  const claimed = new Map<string, string>();
  const installed: InstalledWheel[] = [];
  // Missing trees are unpacked in parallel while the ones ready are installed, in the plan's order.
  const trees = treePool(req.storeDir, req.entries);
  // Mostly missing trees (a first bundle): the unpacking threads keep the cores busy and this thread waits for
  // them, so it links too, with no thread (and no thread's memory) added.
  const warm = trees.missing * 2 <= req.entries.length;
  const links = req.staged
    ? new LinkPool(req.staged.writer, req.staged.importer, req.entries.length, {
        ...(warm ? {} : { threads: 0 }),
        startNow: warm && req.entries.reduce((sum, e) => sum + e.size, 0) >= EAGER_THREAD_BYTES,
      })
    : undefined;
  const jobs = new Map<number, StoreEntry>();
  const progress = startProgress(req.log, "installing", { items: req.entries.length, unit: "wheel" }, { lines: false });
  try {
    for (const entry of req.entries) {
      if (!links) {
        const { tree, created, damaged } = await trees.intact(entry);
        if (damaged !== undefined) warnDamaged(req.log, entry, damaged);
        req.log.debug(`${created ? "unpacked and installing" : "installing"} ${entry.filename}`);
        // Members are linked (or listed) with the hashes the tree's index recorded when it was checked against RECORD.
        installed.push(install(treeSource(entry.filename, tree), req.destination, { scheme: BUNDLE_SCHEME, claimed }));
      } else {
        const { wheel, id } = await installStaged(req, entry, await trees.ready(entry), links, claimed);
        installed.push(wheel);
        jobs.set(id, entry);
      }
      progress.advance(entry.filename, entry.size);
    }
    if (links) {
      for (const { id, damaged } of await links.finish()) {
        const entry = jobs.get(id)!;
        // Nothing of this job was linked; the few members the plan read were checked by their hashes.
        warnDamaged(req.log, entry, damaged);
        await extractAgain(req.storeDir, entry);
        links.relink(id);
      }
    }
  } finally {
    await links?.close();
    await trees.close();
    // Also on failure: the error must not be printed onto a half-drawn progress line.
    progress.done();
  }
  return installed;
}

/** A member the plan read (WHEEL, entry points, scripts) that is not the bytes the tree's index names. */
class ReadChanged extends Error {
  constructor(readonly path: string) {
    super(`${path} changed in the store's tree`);
  }
}

/** `source` whose reads are checked against the tree's index: a plan never uses a damaged tree's bytes. */
function checkedReads(source: WheelSource): WheelSource {
  return {
    ...source,
    read(path) {
      let read: ReturnType<WheelSource["read"]>;
      try {
        read = source.read(path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") throw new ReadChanged(path);
        throw error;
      }
      const expected = source.stored?.(path)?.sha256;
      if (expected !== undefined && read.sha256.toString("hex") !== expected) throw new ReadChanged(path);
      return read;
    },
  };
}

/**
 * Plan one wheel into a recording destination, then write its few generated files here and hand its store
 * files to the pool as one job (which checks an existing tree first).
 */
async function installStaged(
  req: TreeInstallRequest,
  entry: StoreEntry,
  ready: { tree: Tree; created: boolean },
  links: LinkPool,
  claimed: Map<string, string>,
): Promise<{ wheel: InstalledWheel; id: number }> {
  const { writer } = req.staged!;
  let { tree, created } = ready;
  for (;;) {
    const writes: Parameters<InstallDestination["write"]>[] = [];
    const sources: string[] = [];
    const targets: string[] = [];
    const executable: number[] = [];
    const recorder: InstallDestination = {
      write: (...args) => void writes.push(args),
      link(target, member, mode) {
        sources.push(member.location);
        targets.push(target);
        executable.push(mode === 0o755 ? 1 : 0);
        writer.imported(target, member.sha256, member.size, mode);
      },
    };
    let wheel: InstalledWheel;
    try {
      const source = treeSource(entry.filename, tree);
      wheel = install(created ? source : checkedReads(source), recorder, { scheme: BUNDLE_SCHEME, claimed });
    } catch (error) {
      if (!(error instanceof ReadChanged)) throw error;
      // Nothing was written: forget this wheel's claims and records, extract again, plan again.
      for (const [path, owner] of claimed) {
        if (owner !== entry.filename) continue;
        claimed.delete(path);
        writer.written.delete(path);
      }
      warnDamaged(req.log, entry, error.path);
      // As ensureIntactTree: a tree made again (by this process or a concurrent one) is not checked again.
      ({ tree } = await extractAgain(req.storeDir, entry));
      created = true;
      continue;
    }
    req.log.debug(`${created ? "unpacked and installing" : "installing"} ${entry.filename}`);
    for (const args of writes) writer.write(...args);
    const id = links.add({
      sources: sources.join("\0"),
      targets: targets.join("\0"),
      executable: Uint8Array.from(executable),
      ...(created ? {} : { check: packTreeFiles(tree) }),
    });
    return { wheel, id };
  }
}
