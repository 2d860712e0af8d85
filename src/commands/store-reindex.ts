// `pystore store reindex [--json]`: rebuild store.db from the wheel files; exit 6 (STORE_CORRUPTED) when
// some could not be indexed (quarantined, missing, damaged), after the rest was.

import type { Handler } from "./context.js";
import { PystoreError } from "../errors.js";
import { reindexStore, type ReindexReport } from "../store/reindex.js";
import { sortKeysDeep } from "../util/stable-json.js";
import { json, storeDirFor } from "./store-common.js";

interface Options {
  json?: boolean;
}

export const ROOTS_LOST_NOTE =
  "the gc roots (locks, bundles, fetches) were lost with the old database, and with them the download origins: " +
  "`pystore store gc` keeps every wheel until you re-register the roots you need (run `pystore fetch` or `pystore bundle` " +
  "again for each lock and bundle you keep) and then run `pystore store gc --accept-lost-roots`";

const handler: Handler<Options> = async (_args, options, ctx) => {
  const report = await reindexStore(storeDirFor(ctx), ctx.log);
  if (options.json) ctx.out(json(sortKeysDeep(reportJson(report))));
  else {
    for (const q of report.quarantined) ctx.out(`quarantined ${q.entryName} → ${q.path} (${q.reason})`);
    for (const e of report.rowsRemoved) ctx.out(`removed the row of ${e.entryName} (its file is missing)`);
    for (const d of report.damaged) ctx.out(`damaged ${d.entry.entryName} (left for \`pystore store verify --repair\`)`);
    for (const s of report.skipped) ctx.out(`skipped ${s.entryName} (${s.reason})`);
    const indexed = report.added.length + report.alreadyIndexed;
    ctx.out(
      `re-indexed ${plural(indexed, "wheel")}: ${report.added.length} added, ${report.alreadyIndexed} already indexed, ` +
        `${report.rowsRemoved.length} rows removed, ${report.quarantined.length} quarantined`,
    );
  }
  if (report.rootsLost) ctx.log.warn(ROOTS_LOST_NOTE);
  const lost = [
    ...report.quarantined.map((q) => q.entryName),
    ...report.rowsRemoved.map((e) => e.entryName),
    ...report.damaged.map((d) => d.entry.entryName),
  ];
  if (lost.length > 0) {
    throw new PystoreError(
      "STORE_CORRUPTED",
      `the index is rebuilt, but ${plural(lost.length, "stored wheel")} could not be indexed: ${lost.join(", ")}`,
      {
        hint:
          "quarantined directories are kept under the store's quarantine/ for inspection; re-add lost wheels with `pystore store add` " +
          "or `pystore fetch`, and re-fetch damaged ones with `pystore store verify --repair`",
        details: { entries: lost },
      },
    );
  }
};

/** The --json report; also `store verify --repair`'s reindex step. */
export function reindexJson(report: Omit<ReindexReport, "rebuilt" | "rootsLost" | "databaseMovedTo">): Record<string, unknown> {
  return {
    added: report.added.length,
    alreadyIndexed: report.alreadyIndexed,
    damaged: report.damaged.map((d) => ({ entryName: d.entry.entryName, found: d.found ?? null, sha256: d.entry.sha256 })),
    quarantined: report.quarantined,
    rowsRemoved: report.rowsRemoved.map((e) => ({ entryName: e.entryName, sha256: e.sha256 })),
    scanned: report.scanned,
    skipped: report.skipped,
    pythons: {
      added: report.pythons.added.map((e) => ({ entryName: e.entryName, sha256: e.sha256 })),
      rowsRemoved: report.pythons.rowsRemoved.map((e) => ({ entryName: e.entryName, sha256: e.sha256 })),
      skipped: report.pythons.skipped,
    },
  };
}

function reportJson(report: ReindexReport): Record<string, unknown> {
  return {
    ...reindexJson(report),
    databaseMovedTo: report.databaseMovedTo ?? null,
    rebuilt: report.rebuilt,
    rootsLost: report.rootsLost,
  };
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? "" : "s"}`;
}

export default handler;
