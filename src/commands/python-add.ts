// `pystore python add PATH…`: store relocatable interpreters (install_only .tar.gz or directory).

import { PystoreError } from "../errors.js";
import { addPython } from "../python/add.js";
import type { Handler } from "./context.js";
import { pythonJson, pythonLine } from "./python-common.js";
import { json, withStore } from "./store-common.js";

interface Options {
  json?: boolean;
}

const handler: Handler<Options> = async (args, options, ctx) => {
  if (args.length === 0) throw new PystoreError("USAGE", "python add needs at least one interpreter (.tar.gz or directory)");
  await withStore(ctx, async (store) => {
    const results = [];
    for (const path of args) {
      const { entry, status } = await addPython(store, path);
      results.push({ status, ...pythonJson(entry) });
      if (!options.json) ctx.out(`${status} ${pythonLine(entry)}`);
    }
    if (options.json) ctx.out(json(results));
  });
};

export default handler;
