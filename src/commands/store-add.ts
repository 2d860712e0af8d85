// `pystore store add WHEEL…`: import local wheel files into the store.

import type { Handler } from "./context.js";
import { PystoreError } from "../errors.js";
import { entryJson, json, withStore } from "./store-common.js";

interface Options {
  json?: boolean;
}

const handler: Handler<Options> = async (args, options, ctx) => {
  if (args.length === 0) throw new PystoreError("USAGE", "store add needs at least one wheel file");
  await withStore(ctx, async (store) => {
    const results = [];
    for (const path of args) {
      const { entry, status } = await store.addWheel(path);
      results.push({ status, ...entryJson(entry) });
      if (!options.json) ctx.out(`${status} ${entry.entryName}`);
    }
    if (options.json) ctx.out(json(results));
  });
};

export default handler;
