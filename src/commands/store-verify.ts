// `pystore store verify [--repair] [--json]`: re-hash every stored wheel and unpacked tree; exit 6 (STORE_CORRUPTED) on damage.

import type { Handler } from "./context.js";
import { PystoreError } from "../errors.js";
import type { Refetch } from "../store/verify.js";
import { verifyStore } from "../store/verify.js";
import { type IndexFlags, indexClientOptions } from "./settings.js";
import { json, withStore } from "./store-common.js";

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
      if (options.json) {
        ctx.out(
          json({
            checked: report.checked,
            orphans: report.orphans,
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
            tempRemoved: report.tempRemoved,
            treesChecked: report.treesChecked,
          }),
        );
      } else {
        for (const p of report.problems) {
          const label = p.what === "tree" ? `${p.entry.entryName}/tree` : p.entry.entryName;
          const why = p.repairError ?? (p.repaired ? undefined : p.reason);
          ctx.out(`${p.repaired ? "repaired" : p.status} ${label}${why ? ` (${why})` : ""}`);
        }
        for (const name of report.orphans) ctx.out(`orphan ${name}`);
        if (report.orphans.length > 0) {
          const count = plural(report.orphans.length, "entry directory", "entry directories");
          ctx.log.info(`${count} without a row (crash leftovers; \`pystore store gc\` removes them)`);
        }
        ctx.out(
          `checked ${plural(report.checked, "wheel")} and ${plural(report.treesChecked, "unpacked tree")}: ${bad.length === 0 ? "all intact" : `${bad.length} damaged`}${report.problems.length - bad.length > 0 ? `, ${report.problems.length - bad.length} repaired` : ""}`,
        );
      }
      if (bad.length > 0) {
        const names = bad.map((p) => (p.what === "tree" ? `${p.entry.entryName}/tree` : p.entry.entryName));
        throw new PystoreError("STORE_CORRUPTED", `${damagedSummary(bad)}: ${names.join(", ")}`, {
          hint: options.repair
            ? "re-add them with `pystore store add` or re-fetch them with `pystore fetch`"
            : "run `pystore store verify --repair` to re-fetch wheels from their recorded origin and re-extract trees",
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
