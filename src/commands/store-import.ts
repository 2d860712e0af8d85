// `pystore store import closure.tar`: verify every member, then add the wheels (all or nothing).

import { resolve } from "node:path";
import type { Handler } from "./context.js";
import { PystoreError } from "../errors.js";
import { importClosure } from "../store/import.js";
import { json, withStore } from "./store-common.js";

const handler: Handler<{ json?: boolean }> = async (args, options, ctx) => {
  if (args.length !== 1) throw new PystoreError("USAGE", "store import takes exactly one closure archive");
  const archive = resolve(ctx.cwd, args[0]);
  await withStore(ctx, async (store) => {
    const result = await importClosure(store, archive);
    if (options.json) {
      return ctx.out(
        json({
          added: result.added.map((e) => e.entryName),
          present: result.present.map((e) => e.entryName),
          pythons: result.pythons.map((p) => ({ entryName: p.entry.entryName, status: p.status })),
        }),
      );
    }
    for (const e of result.added) ctx.out(`added ${e.entryName}`);
    for (const p of result.pythons) ctx.out(`${p.status} ${p.entry.entryName} (interpreter)`);
    ctx.out(`imported ${result.added.length} new wheel(s); ${result.present.length} already present`);
  });
};

export default handler;
