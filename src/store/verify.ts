// `store verify`: named steps, each reporting what it found: clean-tmp, check-database (SQLite's
// quick_check), check-pool (pool files against their names; --repair removes damaged ones), check-wheels (re-hash, then every member inflated and checked against its size, CRC and
// RECORD, which admission leaves to the readers), check-trees (re-hash; with --repair, wheels from the
// recorded origin and trees from the verified wheel), and reindex (with --repair: the rows made to match
// wheels/, reindex.ts).

import { chmod } from "node:fs/promises";
import { PystoreError } from "../errors.js";
import type { ProjectFile } from "../standards/simple-api.js";
import { redactUrl } from "../util/redact.js";
import { checkFile, cleanTempDebris, WHEEL_MODE, type FileCheck } from "./content.js";
import { checkIntegrity } from "./db.js";
import type { StoreEntry } from "./entries.js";
import { listEntryDirs, wheelFilesIn } from "./entry-dirs.js";
import { dbPath, tmpDir } from "./layout.js";
import { examineEntryDir, reindexEntries, type ReindexCounts } from "./reindex.js";
import { checkPool, type PoolCheck } from "./file-pool-verify.js";
import { ensureTree, removeTree } from "./tree.js";
import { checkTree } from "./tree-verify.js";
import type { Store } from "./store.js";
import { checkPythonEntry } from "./pythons.js";
import { checkWheelContents } from "../wheel/vet.js";

export interface Problem {
  entry: StoreEntry;
  /** The .whl itself, or its unpacked tree (wheels/<entry-name>/tree/). */
  what: "wheel" | "tree";
  /**
   * `invalid`: the wheel's bytes are the recorded ones, but a member does not match its size, CRC or
   * RECORD (it was stored that way: admission leaves members to their readers, which refuse it).
   */
  status: "missing" | "corrupted" | "invalid";
  found?: { sha256?: string; size?: number };
  repaired: boolean;
  /** Why a repair was not possible or failed. */
  repairError?: string;
  /** For a tree: the first damaged file; for an invalid wheel: the first member that does not match. */
  reason?: string;
}

export interface VerifyReport {
  checked: number;
  /** Unpacked trees re-hashed. */
  treesChecked: number;
  /** check-pool: the shared tree files (files/) re-hashed against their names. */
  pool: PoolCheck;
  problems: Problem[];
  /** Entry directories without a row (found before any repair). */
  orphans: string[];
  /** Of `orphans` (without --repair): directories holding a wheel that matches their name; `store reindex` indexes them. */
  unindexed: string[];
  /** Of `orphans` (without --repair): directories whose wheel files do not match their name; reindex quarantines them. */
  mismatched: { entryName: string; reason: string }[];
  tempRemoved: number;
  /** --repair's last step: the rows made to match wheels/ (undefined without --repair). */
  reindex?: ReindexCounts;
  /** check-pythons: every interpreter's tree re-hashed against its row (never repaired: re-add it). */
  pythons: { checked: number; problems: { entryName: string; sha256: string; status: "missing" | "corrupted"; reason: string }[] };
}

/** Fetches one wheel to `destination` (verified, atomic). The CLI backs it with the index client. */
export type Refetch = (
  file: ProjectFile,
  destination: string,
  opts: { tempDir: string; expected: { sha256: string; size: number } },
) => Promise<void>;

export interface VerifyOptions {
  repair?: boolean;
  refetch?: Refetch;
}

export async function verifyStore(store: Store, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const tempRemoved = await cleanTempDebris(store.dir, store.log);
  // A damaged index fails here with STORE_INDEX_DAMAGED and its recovery command.
  checkIntegrity(store.db, dbPath(store.dir));
  // Before the trees: a damaged pool file's name is gone (--repair) before trees linking it are made again.
  const pool = checkPool(store.dir, { repair: opts.repair });
  for (const p of pool.problems) store.log.warn(`${p.path}: pool file damaged (${p.reason})`);
  for (const path of pool.strays) store.log.warn(`${path}: not a pool file name; left alone (pystore never writes it)`);
  const entries = store.list();
  const problems: Problem[] = [];
  /** Each row's file after this run's repairs: the reindex step does not hash them again. */
  const status = new Map<string, FileCheck["status"]>();
  let treesChecked = 0;
  for (const entry of entries) {
    const check: FileCheck = await checkFile(entry.path, entry.sha256, entry.size);
    status.set(entry.sha256, check.status);
    if (check.status === "ok") {
      const invalid = await contentProblem(entry);
      if (invalid !== undefined) {
        // No tree can have been made from it (unpacking refuses the same member), and no re-fetch helps.
        const problem: Problem = { entry, what: "wheel", status: "invalid", repaired: false, reason: invalid };
        store.log.warn(`${entry.entryName}: ${invalid}`);
        if (opts.repair)
          problem.repairError = `${invalid}; its bytes are the ones recorded, so re-fetching cannot repair it: lock another build of it`;
        problems.push(problem);
        continue;
      }
      // A tree is checked against the wheel's RECORD, so only once the wheel is known good.
      const tree = await checkTree(store.dir, entry).catch((error: unknown) => ({
        status: "corrupted" as const,
        reason: (error as Error).message,
      }));
      if (tree.status === "none") continue;
      treesChecked++;
      if (tree.status === "ok") continue;
      const problem: Problem = { entry, what: "tree", status: "corrupted", repaired: false, reason: tree.reason };
      store.log.warn(`${entry.entryName}: unpacked tree is damaged (${tree.reason})`);
      if (opts.repair) await repairTree(store, problem);
      problems.push(problem);
      continue;
    }
    const problem: Problem = { entry, what: "wheel", status: check.status, repaired: false };
    if (check.status === "corrupted") problem.found = { sha256: check.sha256, size: check.size };
    store.log.warn(
      `${entry.entryName}: ${check.status === "missing" ? "file is missing" : `sha256 mismatch (expected ${entry.sha256}, found ${check.sha256 ?? "?"}, ${check.size} bytes)`}`,
    );
    if (opts.repair) await repair(store, problem, opts.refetch);
    if (problem.repaired) status.set(entry.sha256, "ok");
    problems.push(problem);
  }
  const known = new Set(entries.map((e) => e.entryName));
  const orphans = listEntryDirs(store.dir).filter((name) => !known.has(name));
  const pythons = store.pythons.list();
  const pythonProblems: VerifyReport["pythons"]["problems"] = [];
  for (const python of pythons) {
    const check = checkPythonEntry(python);
    if (check.status === "ok") continue;
    store.log.warn(`${python.entryName}: interpreter ${check.status} (${check.reason})`);
    pythonProblems.push({ entryName: python.entryName, sha256: python.sha256, status: check.status, reason: check.reason });
  }
  const report: VerifyReport = {
    checked: entries.length,
    treesChecked,
    pool,
    problems,
    orphans,
    unindexed: [],
    mismatched: [],
    tempRemoved,
    pythons: { checked: pythons.length, problems: pythonProblems },
  };
  if (opts.repair) {
    report.reindex = await reindexEntries(store, { known: status });
    report.unindexed = report.reindex.skipped.map((s) => s.entryName);
    return report;
  }
  for (const name of orphans) {
    if (wheelFilesIn(store.dir, name).length === 0) continue;
    const found = await examineEntryDir(store.dir, name);
    if (found.kind === "mismatch") {
      report.mismatched.push({ entryName: name, reason: found.reason });
      store.log.warn(`${name}: ${found.reason}`);
    } else report.unindexed.push(name);
  }
  return report;
}

/**
 * Every member of the (sha256-verified) wheel as its readers will read it: undefined when all match, else
 * the refusal's message, which names the wheel and the member.
 */
async function contentProblem(entry: StoreEntry): Promise<string | undefined> {
  try {
    await checkWheelContents(entry.path, entry.filename);
    return undefined;
  } catch (error) {
    if (error instanceof PystoreError) return error.message;
    throw error;
  }
}

async function repair(store: Store, problem: Problem, refetch: Refetch | undefined): Promise<void> {
  const { entry } = problem;
  if (!entry.originUrl) {
    problem.repairError = "no origin URL recorded (added from a local file); re-add it with `pystore store add`";
    return;
  }
  if (!refetch) {
    problem.repairError = "no way to fetch";
    return;
  }
  const file: ProjectFile = {
    filename: entry.filename,
    url: entry.originUrl,
    hashes: { sha256: entry.sha256 },
    size: entry.size,
    index: entry.index ?? entry.originUrl,
  };
  try {
    // The download is verified against the row before it replaces the bad file (atomic rename).
    await refetch(file, entry.path, { tempDir: tmpDir(store.dir), expected: { sha256: entry.sha256, size: entry.size } });
    await chmod(entry.path, WHEEL_MODE);
    const after = await checkFile(entry.path, entry.sha256, entry.size);
    problem.repaired = after.status === "ok";
    if (!problem.repaired) problem.repairError = `still ${after.status} after re-fetching`;
    else store.log.info(`repaired ${entry.entryName} from ${redactUrl(entry.originUrl)}`);
  } catch (error) {
    problem.repairError = `re-fetch from ${redactUrl(entry.originUrl)} failed: ${(error as Error).message}`;
  }
}

/** A damaged tree is deleted and extracted again from the (verified) wheel. */
async function repairTree(store: Store, problem: Problem): Promise<void> {
  try {
    removeTree(store.dir, problem.entry.entryName);
    // Every pool file is hashed before it is linked: the damage may be in one other trees share.
    await ensureTree(store.dir, problem.entry, undefined, { rehashPool: true });
    const after = await checkTree(store.dir, problem.entry);
    problem.repaired = after.status === "ok";
    if (!problem.repaired) problem.repairError = `still damaged after re-extracting: ${after.reason}`;
    else store.log.info(`re-extracted the unpacked tree of ${problem.entry.entryName}`);
  } catch (error) {
    problem.repairError = `cannot re-extract the tree: ${(error as Error).message}`;
  }
}
