// `pystore python find --platform P --python X.Y`: the stored interpreters that can run that target's
// bundles, best first; exit 1 when there is none.

import { describeWanted, matchingPythons, wantedFor } from "../python/match.js";
import { loadTarget } from "../platform/target-loader.js";
import type { Handler } from "./context.js";
import { pythonJson, pythonLine } from "./python-common.js";
import { json, withStore } from "./store-common.js";

interface Options {
  platform?: string;
  python?: string;
  json?: boolean;
}

const handler: Handler<Options> = async (_args, options, ctx) => {
  const target = await loadTarget(options.platform ?? "host", options.python, { cwd: ctx.cwd, env: ctx.env });
  const wanted = wantedFor(target);
  return withStore(
    ctx,
    async (store) => {
      const found = matchingPythons(store.pythons.list(), wanted);
      if (options.json) ctx.out(json(found.map(pythonJson)));
      else for (const entry of found) ctx.out(pythonLine(entry));
      if (found.length === 0) ctx.log.info(`no stored interpreter fits ${target.id} (${describeWanted(wanted)})`);
      return found.length === 0 ? 1 : 0;
    },
    { readonly: true },
  );
};

export default handler;
