// `pystore store gc [--dry-run] [--grace SECONDS] [--accept-lost-roots]`: delete what no live root reaches.

import type { Handler } from "./context.js";
import { PystoreError } from "../errors.js";
import { collectGarbage, DEFAULT_GC_GRACE_MS } from "../store/gc.js";
import { humanSize, json, withStore } from "./store-common.js";

interface Options {
  dryRun?: boolean;
  grace?: string;
  acceptLostRoots?: boolean;
  json?: boolean;
}

const handler: Handler<Options> = async (_args, options, ctx) => {
  const graceSeconds = options.grace === undefined ? DEFAULT_GC_GRACE_MS / 1000 : Number(options.grace);
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0)
    throw new PystoreError("USAGE", `--grace expects seconds, got ${JSON.stringify(options.grace)}`);
  await withStore(ctx, async (store) => {
    const result = collectGarbage(store, {
      dryRun: options.dryRun,
      graceMs: graceSeconds * 1000,
      acceptLostRoots: options.acceptLostRoots,
    });
    const rootsLostAt = result.rootsLostAt === undefined ? null : new Date(result.rootsLostAt).toISOString();
    if (options.json) {
      ctx.out(
        json({
          dryRun: result.dryRun,
          freedBytes: result.freedBytes,
          graceSeconds,
          kept: result.kept,
          keptRootsLost: result.keptRootsLost,
          keptYoung: result.keptYoung,
          orphans: result.orphans,
          pythons: {
            kept: result.pythons.kept,
            keptYoung: result.pythons.keptYoung,
            orphans: result.pythons.orphans,
            removed: result.pythons.removed.map((e) => ({ entryName: e.entryName, sha256: e.sha256, size: e.size })),
            unindexed: result.pythons.unindexed,
          },
          removed: result.removed.map((e) => ({ entryName: e.entryName, sha256: e.sha256, size: e.size })),
          rootsLostAt,
          sources: {
            kept: result.sources.kept,
            logsRemoved: result.sources.logsRemoved,
            removed: result.sources.removed,
          },
          treesRemoved: result.treesRemoved,
          staleRoots: result.roots.filter((r) => r.stale).map((r) => ({ kind: r.kind, path: r.path, reason: r.reason })),
          unindexed: result.unindexed,
        }),
      );
    } else {
      const verb = result.dryRun ? "would remove" : "removed";
      for (const e of result.removed) ctx.out(`${verb} ${e.entryName}`);
      for (const o of result.orphans) ctx.out(`${verb} ${o} (no row)`);
      for (const u of result.unindexed) ctx.out(`kept ${u} (a stored wheel without a row)`);
      for (const e of result.pythons.removed) ctx.out(`${verb} ${e.entryName} (interpreter)`);
      for (const o of result.pythons.orphans) ctx.out(`${verb} ${o} (no row)`);
      for (const u of result.pythons.unindexed) ctx.out(`kept ${u} (a stored interpreter without a row)`);
      for (const s of result.sources.removed) ctx.out(`${verb} ${s} (an sdist no stored wheel was built from)`);
      for (const l of result.sources.logsRemoved) ctx.out(`${verb} ${l} (its sdist is gone)`);
      // Without this, "removed 0" after a fresh fetch reads as if gc saw nothing to collect.
      const young = result.keptYoung > 0 ? ` (${result.keptYoung} unrooted, kept because younger than --grace ${graceSeconds}s)` : "";
      const trees = result.treesRemoved > 0 ? ` and ${result.treesRemoved} unpacked tree(s)` : "";
      ctx.out(`${verb} ${result.removed.length} wheel(s)${trees}, ${humanSize(result.freedBytes)}; kept ${result.kept}${young}`);
    }
    if (result.unindexed.length > 0) {
      const n = result.unindexed.length;
      ctx.log.warn(
        `${n} stored wheel${n === 1 ? "" : "s"} without a row, kept: run \`pystore store reindex\` to index ${n === 1 ? "it" : "them"}`,
      );
    }
    if (rootsLostAt !== null && result.keptRootsLost > 0) {
      ctx.log.warn(
        `kept ${result.keptRootsLost} unrooted wheel(s): the store's roots were lost when \`pystore store reindex\` rebuilt its database (${rootsLostAt}); ` +
          "re-register the roots you need (run `pystore fetch` or `pystore bundle` again for each lock and bundle you keep), then run `pystore store gc --accept-lost-roots`",
      );
    }
  });
};

export default handler;
