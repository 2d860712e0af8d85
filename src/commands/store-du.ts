// `pystore store du [--json]`: where the store's disk goes (wheels, unpacked trees, pool files no tree uses,
// interpreters, the database, everything else), in total and per project. The counting is src/store/du.ts.

import type { Handler } from "./context.js";
import { databaseUsage, storeUsage, type Usage } from "../store/du.js";
import { byKey } from "../util/order.js";
import { columns, humanSize, json, storeDirFor, withStore } from "./store-common.js";

const handler: Handler<{ json?: boolean }> = async (_args, options, ctx) => {
  // Before opening: an open connection adds SQLite's -shm and -wal files, gone again when this exits.
  const database = databaseUsage(storeDirFor(ctx));
  await withStore(
    ctx,
    async (store) => {
      const u = storeUsage(store, database);
      const projects = [...u.projects].sort(byKey(([name]) => name));
      const other = [...u.other].sort(byKey(([name]) => name));
      const { gc, linked } = u.poolNoTree;
      if (options.json) {
        return ctx.out(
          json({
            bytes: u.bytes,
            databaseBytes: u.databaseBytes,
            entries: u.entries,
            other: other.map(([path, part]) => ({ bytes: part.bytes, files: part.files, path })),
            poolNoTree: {
              bytes: gc.bytes + linked.bytes,
              files: gc.files + linked.files,
              gcBytes: gc.bytes,
              gcFiles: gc.files,
              linkedBytes: linked.bytes,
              linkedFiles: linked.files,
            },
            projects: Object.fromEntries(projects),
            pythonBytes: u.pythonBytes,
            pythons: u.pythons,
            store: store.dir,
            treeBytes: u.treeBytes,
            trees: u.trees,
            wheelBytes: u.wheelBytes,
          }),
        );
      }
      const rows = projects.map(([name, p]) => [
        name,
        String(p.entries),
        humanSize(p.bytes),
        p.treeBytes > 0 ? `+ ${humanSize(p.treeBytes)} unpacked` : "",
      ]);
      if (rows.length > 0) ctx.out(columns(rows));
      const pool = [
        gc.files > 0 && `${files(gc)} that only the pool holds (the next gc removes them)`,
        linked.files > 0 &&
          `${files(linked)} also linked from outside the trees, e.g. by bundles (gc cannot free them while those links exist)`,
      ].filter((part) => typeof part === "string");
      if (pool.length === 2) pool.unshift(files({ files: gc.files + linked.files, bytes: gc.bytes + linked.bytes }));
      if (pool.length > 0) ctx.out(`pool files no tree uses: ${pool.join("; ")}`);
      ctx.out(`database: ${humanSize(u.databaseBytes)}`);
      if (other.length > 0) ctx.out(`other files: ${other.map(([name, part]) => `${name} ${files(part)}`).join(", ")}`);
      const interpreters = u.pythons > 0 ? `, ${u.pythons} interpreter(s) (${humanSize(u.pythonBytes)})` : "";
      ctx.out(
        `total: ${u.entries} wheel(s) (${humanSize(u.wheelBytes)}) and ${u.trees} unpacked tree(s) (${humanSize(u.treeBytes)})${interpreters}, ${humanSize(u.bytes)} (${u.bytes} bytes) in ${store.dir}`,
      );
    },
    { readonly: true },
  );
};

function files(part: Usage): string {
  return `${part.files} file(s), ${humanSize(part.bytes)}`;
}

export default handler;
