// `pystore python list [--json]`: the interpreters in the store.

import type { Handler } from "./context.js";
import { pythonJson, pythonLine } from "./python-common.js";
import { json, withStore } from "./store-common.js";

interface Options {
  json?: boolean;
}

const handler: Handler<Options> = async (_args, options, ctx) => {
  await withStore(
    ctx,
    async (store) => {
      const entries = store.pythons.list();
      if (options.json) ctx.out(json(entries.map(pythonJson)));
      else if (entries.length === 0) ctx.log.info("no interpreters in the store; add one with `pystore python add PATH`");
      else for (const entry of entries) ctx.out(pythonLine(entry));
    },
    { readonly: true },
  );
};

export default handler;
