// `pystore store verify [--repair] [--json]`: re-hash every stored wheel; exit 6 (STORE_CORRUPTED) on damage.

import type { Handler } from "../cli/context.js";
import { PystoreError } from "../errors.js";
import { indexClientOptions, type IndexCliOptions } from "../index-client/options.js";
import type { Refetch } from "../store/verify.js";
import { verifyStore } from "../store/verify.js";
import { json, withStore } from "./store-common.js";

interface Options extends IndexCliOptions {
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
            })),
            tempRemoved: report.tempRemoved,
          }),
        );
      } else {
        for (const p of report.problems) {
          ctx.out(`${p.repaired ? "repaired" : p.status} ${p.entry.entryName}${p.repairError ? ` (${p.repairError})` : ""}`);
        }
        if (report.orphans.length > 0) ctx.log.info(`${report.orphans.length} file(s) without a row (crash leftovers; \`pystore store gc\` removes them)`);
        ctx.out(`checked ${report.checked} wheel(s): ${bad.length === 0 ? "all intact" : `${bad.length} damaged`}${report.problems.length - bad.length > 0 ? `, ${report.problems.length - bad.length} repaired` : ""}`);
      }
      if (bad.length > 0) {
        throw new PystoreError("STORE_CORRUPTED", `${bad.length} stored wheel(s) are damaged: ${bad.map((p) => p.entry.entryName).join(", ")}`, {
          hint: options.repair ? "re-add them with `pystore store add` or re-fetch them with `pystore fetch`" : "run `pystore store verify --repair` to re-fetch them from their recorded origin",
          details: { entries: bad.map((p) => p.entry.sha256) },
        });
      }
    } finally {
      await client?.close();
    }
  });
};

export default handler;
