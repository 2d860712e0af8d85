// `pystore store path`: the store directory in use (--store, $PYSTORE_STORE, or the XDG default).

import type { Handler } from "./context.js";
import { storeDirFor } from "./store-common.js";

const handler: Handler<{ json?: boolean }> = async (_args, options, ctx) => {
  const path = storeDirFor(ctx);
  ctx.out(options.json ? JSON.stringify({ path }, null, 2) : path);
};

export default handler;
