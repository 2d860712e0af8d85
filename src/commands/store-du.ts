// `pystore store du [--json]`: how much the store holds (wheels, unpacked trees, interpreters), in total and per project.

import type { Handler } from "./context.js";
import { treeUsage } from "../store/tree.js";
import { byKey } from "../util/order.js";
import { columns, humanSize, json, withStore } from "./store-common.js";

const handler: Handler<{ json?: boolean }> = async (_args, options, ctx) => {
  await withStore(
    ctx,
    async (store) => {
      const entries = store.list();
      const perProject = new Map<string, { entries: number; bytes: number; treeBytes: number }>();
      let trees = 0;
      let treeBytes = 0;
      /** Trees share pool files (store-layout.md, "The file pool"): each inode counts once, for the first entry listing it. */
      const seen = new Set<number>();
      for (const e of entries) {
        const p = perProject.get(e.name) ?? { entries: 0, bytes: 0, treeBytes: 0 };
        p.entries++;
        p.bytes += e.size;
        // Unpacked trees count at their apparent size, each shared file once: bundles hardlinking them share those blocks.
        const tree = treeUsage(store.dir, e, seen);
        if (tree) {
          trees++;
          treeBytes += tree.bytes;
          p.treeBytes += tree.bytes;
        }
        perProject.set(e.name, p);
      }
      const wheelBytes = entries.reduce((sum, e) => sum + e.size, 0);
      // Interpreters count at their canonical tar's size: their files plus 512-byte headers, close enough.
      const pythons = store.pythons.list();
      const pythonBytes = pythons.reduce((sum, p) => sum + p.size, 0);
      const total = wheelBytes + treeBytes + pythonBytes;
      if (options.json) {
        const projects = Object.fromEntries([...perProject].sort(byKey(([name]) => name)));
        return ctx.out(
          json({
            bytes: total,
            entries: entries.length,
            projects,
            pythonBytes,
            pythons: pythons.length,
            store: store.dir,
            treeBytes,
            trees,
            wheelBytes,
          }),
        );
      }
      const rows = [...perProject]
        .sort(byKey(([name]) => name))
        .map(([name, p]) => [name, String(p.entries), humanSize(p.bytes), p.treeBytes > 0 ? `+ ${humanSize(p.treeBytes)} unpacked` : ""]);
      if (rows.length > 0) ctx.out(columns(rows));
      const interpreters = pythons.length > 0 ? `, ${pythons.length} interpreter(s) (${humanSize(pythonBytes)})` : "";
      ctx.out(
        `total: ${entries.length} wheel(s) (${humanSize(wheelBytes)}) and ${trees} unpacked tree(s) (${humanSize(treeBytes)})${interpreters}, ${humanSize(total)} (${total} bytes) in ${store.dir}`,
      );
    },
    { readonly: true },
  );
};

export default handler;
