// `pystore store path`: the store directory in use (--store, $PYSTORE_STORE, or the XDG default).

import type { Handler } from "./context.js";
import { storeDirFor } from "./store-common.js";

const handler: Handler<Record<string, never>> = async (_args, _options, ctx) => {
  ctx.out(storeDirFor(ctx));
};

export default handler;
