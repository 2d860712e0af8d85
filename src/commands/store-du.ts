// `pystore store du [--json]`: how much the store holds, in total and per project.

import type { Handler } from "../cli/context.js";
import { columns, humanSize, json, withStore } from "./store-common.js";

const handler: Handler<{ json?: boolean }> = async (_args, options, ctx) => {
  await withStore(
    ctx,
    async (store) => {
      const entries = store.list();
      const perProject = new Map<string, { entries: number; bytes: number }>();
      for (const e of entries) {
        const p = perProject.get(e.name) ?? { entries: 0, bytes: 0 };
        p.entries++;
        p.bytes += e.size;
        perProject.set(e.name, p);
      }
      const total = entries.reduce((sum, e) => sum + e.size, 0);
      if (options.json) {
        const projects = Object.fromEntries([...perProject].sort(([a], [b]) => (a < b ? -1 : 1)));
        return ctx.out(json({ bytes: total, entries: entries.length, projects, store: store.dir }));
      }
      const rows = [...perProject].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, p]) => [name, String(p.entries), humanSize(p.bytes)]);
      if (rows.length > 0) ctx.out(columns(rows));
      ctx.out(`total: ${entries.length} wheel(s), ${humanSize(total)} (${total} bytes) in ${store.dir}`);
    },
    { readonly: true },
  );
};

export default handler;
