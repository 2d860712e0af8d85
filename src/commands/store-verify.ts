// `pystore store verify [--repair] [--json]`: check the database, re-hash every stored wheel and unpacked tree,
// and (--repair) re-index; exit 6 (STORE_CORRUPTED) on damage.

import type { Handler } from "./context.js";
import { PystoreError } from "../errors.js";
import type { Refetch } from "../store/verify.js";
import { verifyStore } from "../store/verify.js";
import { type IndexFlags, indexClientOptions } from "./settings.js";
import { json, withStore } from "./store-common.js";
import { reindexJson } from "./store-reindex.js";

interface Options extends IndexFlags {
  repair?: boolean;
  json?: boolean;
}

const handler: Handler<Options> = async (_args, options, ctx) => {
  await withStore(ctx, async (store) => {
    let client: import("../index-client/client.js").IndexClient | undefined;
    let refetch: Refetch | undefined;
    if (options.repair) {
      refetch = async (file, destination, opts) => {
        // Loaded only when something needs repair: the HTTP stack is not needed to verify.
        if (!client) {
          const { IndexClient } = await import("../index-client/client.js");
          client = new IndexClient({ ...indexClientOptions(options, ctx), cache: store.httpCache() });
        }
        await client.downloadToFile(file, destination, opts);
      };
    }
    try {
      const report = await verifyStore(store, { repair: options.repair, refetch });
      const bad = report.problems.filter((p) => !p.repaired);
      const quarantined = report.reindex?.quarantined ?? [];
      const unindexed = new Set(report.unindexed);
      const mismatched = new Map(report.mismatched.map((m) => [m.entryName, m.reason]));
      if (options.json) {
        ctx.out(
          json({
            checked: report.checked,
            mismatched: report.mismatched,
            orphans: report.orphans,
            pool: report.pool,
            pythons: report.pythons,
            problems: report.problems.map((p) => ({
              entryName: p.entry.entryName,
              found: p.found ?? null,
              repairError: p.repairError ?? null,
              repaired: p.repaired,
              sha256: p.entry.sha256,
              status: p.status,
              what: p.what,
              ...(p.reason ? { reason: p.reason } : {}),
            })),
            // Named steps, each with what it found (cacache's verify shape).
            steps: {
              "check-database": { result: "ok" },
              "check-pool": { checked: report.pool.checked, damaged: report.pool.problems.length },
              "check-pythons": { checked: report.pythons.checked, damaged: report.pythons.problems.length },
              "check-trees": { checked: report.treesChecked, damaged: report.problems.filter((p) => p.what === "tree").length },
              "check-wheels": { checked: report.checked, damaged: report.problems.filter((p) => p.what === "wheel").length },
              "clean-tmp": { removed: report.tempRemoved },
              reindex: report.reindex ? reindexJson(report.reindex) : null,
            },
            tempRemoved: report.tempRemoved,
            treesChecked: report.treesChecked,
            unindexed: report.unindexed,
          }),
        );
      } else {
        for (const p of report.pool.problems) ctx.out(`${p.repaired ? "repaired" : "corrupted"} ${p.path} (${p.reason})`);
        for (const path of report.pool.strays) ctx.out(`stray ${path} (not a pool file name; left alone)`);
        for (const p of report.problems) {
          const label = p.what === "tree" ? `${p.entry.entryName}/tree` : p.entry.entryName;
          const why = p.repairError ?? (p.repaired ? undefined : p.reason);
          ctx.out(`${p.repaired ? "repaired" : p.status} ${label}${why ? ` (${why})` : ""}`);
        }
        const reindexed = new Set([...(report.reindex?.added ?? []).map((e) => e.entryName), ...quarantined.map((q) => q.entryName)]);
        const empty = report.orphans.filter((name) => !unindexed.has(name) && !mismatched.has(name) && !reindexed.has(name));
        for (const name of report.orphans) {
          if (unindexed.has(name)) ctx.out(`unindexed ${name}`);
          else if (mismatched.has(name)) ctx.out(`mismatched ${name} (${mismatched.get(name)})`);
          else if (!reindexed.has(name)) ctx.out(`orphan ${name}`);
        }
        if (empty.length > 0) {
          const count = plural(empty.length, "entry directory", "entry directories");
          ctx.log.info(`${count} without a row or a wheel (a writer killed before its link; \`pystore store gc\` removes them)`);
        }
        if (unindexed.size > 0) {
          ctx.log.info(
            `${plural(unindexed.size, "stored wheel")} without a row: \`pystore store reindex\` indexes them (gc keeps them meanwhile)`,
          );
        }
        if (report.reindex) {
          const r = report.reindex;
          for (const q of r.quarantined) ctx.out(`quarantined ${q.entryName} → ${q.path} (${q.reason})`);
          ctx.out(`reindex: ${r.added.length} added, ${r.rowsRemoved.length} rows removed, ${r.quarantined.length} quarantined`);
        }
        ctx.out(
          `checked ${plural(report.checked, "wheel")} and ${plural(report.treesChecked, "unpacked tree")}: ${bad.length === 0 ? "all intact" : `${bad.length} damaged`}${report.problems.length - bad.length > 0 ? `, ${report.problems.length - bad.length} repaired` : ""}`,
        );
      }
      if (!options.json) {
        for (const p of report.pythons.problems) ctx.out(`${p.status} ${p.entryName} (${p.reason})`);
        if (report.pythons.checked > 0) ctx.out(`checked ${plural(report.pythons.checked, "interpreter")}`);
      }
      const strays = [...mismatched.keys(), ...quarantined.map((q) => q.entryName)];
      if (bad.length === 0 && strays.length > 0) {
        throw new PystoreError(
          "STORE_CORRUPTED",
          `${plural(strays.length, "entry directory", "entry directories")} without a row ${strays.length === 1 ? "holds" : "hold"} no wheel matching ${strays.length === 1 ? "its" : "their"} name: ${strays.join(", ")}`,
          {
            hint: options.repair
              ? "they were moved to the store's quarantine/ for inspection; re-add the wheels with `pystore store add` or `pystore fetch`"
              : "run `pystore store verify --repair` (or `pystore store reindex`) to move them to the store's quarantine/",
            details: { entries: strays },
          },
        );
      }
      if (bad.length === 0 && report.pythons.problems.length > 0) {
        const names = report.pythons.problems.map((p) => p.entryName);
        throw new PystoreError("STORE_CORRUPTED", `${plural(names.length, "stored interpreter")} damaged: ${names.join(", ")}`, {
          hint: "add the interpreter again with `pystore python add` from its archive (a damaged entry is replaced)",
          details: { entries: report.pythons.problems.map((p) => p.sha256) },
        });
      }
      const badPool = report.pool.problems.filter((p) => !p.repaired);
      if (bad.length === 0 && badPool.length > 0) {
        throw new PystoreError(
          "STORE_CORRUPTED",
          `${plural(badPool.length, "pool file")} damaged: ${badPool.map((p) => p.path).join(", ")}`,
          {
            hint: "run `pystore store verify --repair`: a damaged pool file's name is removed and trees are made again from their wheels",
            details: { files: badPool.map((p) => p.path) },
          },
        );
      }
      if (bad.length > 0) {
        const names = bad.map((p) => (p.what === "tree" ? `${p.entry.entryName}/tree` : p.entry.entryName));
        // An invalid wheel is the published artefact itself (its bytes match their hash): fetching it again
        // gives the same bytes, so only another release or build of the project helps.
        const onlyInvalid = bad.every((p) => p.status === "invalid");
        throw new PystoreError("STORE_CORRUPTED", `${damagedSummary(bad)}: ${names.join(", ")}`, {
          hint: onlyInvalid
            ? "these wheels are as published but their members do not match their RECORD: lock another release or build of the project (`pystore store gc` removes them once no root uses them)"
            : options.repair
              ? "re-add them with `pystore store add` or re-fetch them with `pystore fetch`"
              : "run `pystore store verify --repair` to re-fetch wheels from their recorded origin and re-extract trees (invalid wheels cannot be repaired: lock another build)",
          details: { entries: bad.map((p) => p.entry.sha256) },
        });
      }
    } finally {
      await client?.close();
    }
  });
};

function damagedSummary(bad: { what: "wheel" | "tree" }[]): string {
  const wheels = bad.filter((p) => p.what === "wheel").length;
  const trees = bad.length - wheels;
  const parts = [wheels > 0 ? plural(wheels, "stored wheel") : "", trees > 0 ? plural(trees, "unpacked tree") : ""].filter(Boolean);
  return `${parts.join(" and ")} ${bad.length === 1 ? "is" : "are"} damaged`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export default handler;
