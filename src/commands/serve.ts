// `pystore serve [--host H] [--port N]`: serve the store as a PEP 503/691 index until interrupted.

import type { Handler } from "./context.js";
import { PystoreError } from "../errors.js";
import { serveStore } from "../store/serve.js";
import { withStore } from "./store-common.js";

interface Options {
  host?: string;
  port?: string;
  json?: boolean;
}

const handler: Handler<Options> = async (_args, options, ctx) => {
  const port = options.port === undefined ? 0 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new PystoreError("USAGE", `--port expects 0-65535, got ${JSON.stringify(options.port)}`);
  await withStore(
    ctx,
    async (store) => {
      const server = await serveStore(store, { host: options.host ?? "127.0.0.1", port });
      const wheels = store.list().length;
      ctx.out(options.json ? JSON.stringify({ store: store.dir, url: server.url, wheels }) : server.url);
      // Clients wait for the URL: it goes out now, not when the server stops.
      ctx.flush();
      ctx.log.info(`serving ${store.list().length} wheel(s) from ${store.dir}; press Ctrl-C to stop`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      await server.close();
    },
    { readonly: true },
  );
};

export default handler;
