// `pystore store roots [--json]`: the locks, bundles and fetches that keep entries alive; flags stale ones.

import type { Handler } from "./context.js";
import { readMeta, ROOTS_LOST_AT } from "../store/db.js";
import { columns, json, withStore } from "./store-common.js";

const handler: Handler<{ json?: boolean }> = async (_args, options, ctx) => {
  await withStore(
    ctx,
    async (store) => {
      const roots = store.roots.listWithStatus();
      const lostAt = readMeta(store.db, ROOTS_LOST_AT);
      // After `store reindex` rebuilt the database, the roots it had are gone: gc keeps everything until told.
      const lost = lostAt === undefined ? undefined : new Date(Number(lostAt)).toISOString();
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
      if (lost !== undefined) {
        ctx.log.warn(
          `the store's roots were lost when its database was rebuilt (${lost}): gc removes nothing unrooted until \`pystore store gc --accept-lost-roots\`, after fetch or bundle has re-registered the locks and bundles you keep`,
        );
      }
      if (roots.length === 0) {
        if (lost === undefined) ctx.log.info("no roots: `pystore store gc` would remove every entry older than the grace period");
        return;
      }
      ctx.out(columns(roots.map((r) => [r.kind, r.path, `${r.sha256s.length} wheel(s)`, r.stale ? `stale: ${r.reason}` : "live"])));
    },
    { readonly: true },
  );
};

export default handler;
