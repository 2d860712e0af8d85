// `pystore store roots [--json]`: the locks, bundles and fetches that keep entries alive; flags stale ones.

import type { Handler } from "./context.js";
import { columns, json, withStore } from "./store-common.js";

const handler: Handler<{ json?: boolean }> = async (_args, options, ctx) => {
  await withStore(
    ctx,
    async (store) => {
      const roots = store.roots.listWithStatus();
      if (options.json) {
        return ctx.out(
          json(
            roots.map((r) => ({
              kind: r.kind,
              path: r.path,
              reason: r.reason ?? null,
              sha256s: r.sha256s,
              stale: r.stale,
              wheels: r.sha256s.length,
            })),
          ),
        );
      }
      if (roots.length === 0) return ctx.log.info("no roots: `pystore store gc` would remove every entry older than the grace period");
      ctx.out(columns(roots.map((r) => [r.kind, r.path, `${r.sha256s.length} wheel(s)`, r.stale ? `stale: ${r.reason}` : "live"])));
    },
    { readonly: true },
  );
};

export default handler;
