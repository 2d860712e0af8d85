// `pystore store ls [--json]`: every stored wheel.

import type { Handler } from "./context.js";
import { columns, entryJson, humanSize, json, withStore } from "./store-common.js";

const handler: Handler<{ json?: boolean }> = async (_args, options, ctx) => {
  await withStore(
    ctx,
    async (store) => {
      const entries = store.list();
      if (options.json) return ctx.out(json(entries.map((e) => entryJson(e))));
      if (entries.length === 0) return ctx.log.info("the store is empty");
      ctx.out(columns(entries.map((e) => [e.name, e.version, e.filename, humanSize(e.size), e.sha256.slice(0, 16)])));
    },
    { readonly: true },
  );
};

export default handler;
