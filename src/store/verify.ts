// `store verify`: re-hash every stored wheel, report corruption, optionally repair from the recorded origin.

import { chmod } from "node:fs/promises";
import type { ProjectFile } from "../standards/simple-api.js";
import { redactUrl } from "../util/redact.js";
import { checkFile, cleanTempDebris, WHEEL_MODE, type FileCheck } from "./content.js";
import type { StoreEntry } from "./entries.js";
import { listEntryDirs } from "./gc.js";
import { tmpDir } from "./layout.js";
import type { Store } from "./store.js";

export interface Problem {
  entry: StoreEntry;
  status: "missing" | "corrupted";
  found?: { sha256?: string; size?: number };
  repaired: boolean;
  /** Why a repair was not possible or failed. */
  repairError?: string;
}

export interface VerifyReport {
  checked: number;
  problems: Problem[];
  /** Entry directories without a row: garbage from a crash between rename and commit (gc removes them). */
  orphans: string[];
  tempRemoved: number;
}

/** Fetches one wheel to `destination` (verified, atomic). The CLI backs it with the index client. */
export type Refetch = (file: ProjectFile, destination: string, opts: { tempDir: string; expected: { sha256: string; size: number } }) => Promise<void>;

export interface VerifyOptions {
  repair?: boolean;
  refetch?: Refetch;
}

export async function verifyStore(store: Store, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const tempRemoved = await cleanTempDebris(store.dir, store.log);
  const entries = store.list();
  const problems: Problem[] = [];
  for (const entry of entries) {
    const check: FileCheck = await checkFile(entry.path, entry.sha256, entry.size);
    if (check.status === "ok") continue;
    const problem: Problem = { entry, status: check.status, repaired: false };
    if (check.status === "corrupted") problem.found = { sha256: check.sha256, size: check.size };
    store.log.warn(`${entry.entryName}: ${check.status === "missing" ? "file is missing" : `sha256 mismatch (expected ${entry.sha256}, found ${check.sha256 ?? "?"}, ${check.size} bytes)`}`);
    if (opts.repair) await repair(store, problem, opts.refetch);
    problems.push(problem);
  }
  const known = new Set(entries.map((e) => e.entryName));
  const orphans = listEntryDirs(store.dir).filter((name) => !known.has(name));
  return { checked: entries.length, problems, orphans, tempRemoved };
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
