// `pystore store gc [--dry-run] [--grace SECONDS]`: delete what no live root reaches.

import type { Handler } from "./context.js";
import { PystoreError } from "../errors.js";
import { collectGarbage, DEFAULT_GC_GRACE_MS } from "../store/gc.js";
import { humanSize, json, withStore } from "./store-common.js";

interface Options {
  dryRun?: boolean;
  grace?: string;
  json?: boolean;
}

const handler: Handler<Options> = async (_args, options, ctx) => {
  const graceSeconds = options.grace === undefined ? DEFAULT_GC_GRACE_MS / 1000 : Number(options.grace);
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0)
    throw new PystoreError("USAGE", `--grace expects seconds, got ${JSON.stringify(options.grace)}`);
  await withStore(ctx, async (store) => {
    const result = collectGarbage(store, { dryRun: options.dryRun, graceMs: graceSeconds * 1000 });
    if (options.json) {
      return ctx.out(
        json({
          dryRun: result.dryRun,
          freedBytes: result.freedBytes,
          graceSeconds,
          kept: result.kept,
          keptYoung: result.keptYoung,
          orphans: result.orphans,
          removed: result.removed.map((e) => ({ entryName: e.entryName, sha256: e.sha256, size: e.size })),
          treesRemoved: result.treesRemoved,
          staleRoots: result.roots.filter((r) => r.stale).map((r) => ({ kind: r.kind, path: r.path, reason: r.reason })),
        }),
      );
    }
    const verb = result.dryRun ? "would remove" : "removed";
    for (const e of result.removed) ctx.out(`${verb} ${e.entryName}`);
    for (const o of result.orphans) ctx.out(`${verb} ${o} (no row)`);
    // Without this, "removed 0" after a fresh fetch reads as if gc saw nothing to collect.
    const young = result.keptYoung > 0 ? ` (${result.keptYoung} unrooted, kept because younger than --grace ${graceSeconds}s)` : "";
    const trees = result.treesRemoved > 0 ? ` and ${result.treesRemoved} unpacked tree(s)` : "";
    ctx.out(`${verb} ${result.removed.length} wheel(s)${trees}, ${humanSize(result.freedBytes)}; kept ${result.kept}${young}`);
  });
};

export default handler;
