// Benchmark front for the fixture index: a loopback reverse proxy that adds the Cache-Control headers
// PyPI sends, so each tool's warm cache behaves as it would against the real index.

import { Agent, createServer, request, type IncomingHttpHeaders } from "node:http";
import type { Socket } from "node:net";

// pypi.org's project pages say `cache-control: max-age=600, public`; files (and their .metadata)
// never change once uploaded, so they are served as immutable.
const PAGE_CACHE = "max-age=600, public";
const FILE_CACHE = "max-age=365000000, immutable, public";

export interface HeaderProxy {
  /** ".../simple/" on the proxy. */
  url: string;
  close(): Promise<void>;
}

export async function startPypiHeaderProxy(upstreamOrigin: string): Promise<HeaderProxy> {
  const upstream = new URL(upstreamOrigin);
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        const out = { ...answer.headers };
        const path = (req.url ?? "").split("?")[0];
        if (answer.statusCode === 200 || answer.statusCode === 206 || answer.statusCode === 304) {
          if (path.startsWith("/simple/")) out["cache-control"] = PAGE_CACHE;
          else if (path.startsWith("/files/")) out["cache-control"] = FILE_CACHE;
        }
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
      },
    );
    forward.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`proxy error: ${error.message}\n`);
    });
    req.pipe(forward);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/simple/`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
