// The part of undici pystore connects with (Agent, ProxyAgent, Pool, request, buildConnector), loaded without undici's
// index.js. That file also loads fetch, WebSocket, EventSource, the cache and cookie APIs and the mocks,
// and through the globals they touch Node's own copy of undici: about 50 ms of CPU on every command that
// connects, for code it never runs. The version is pinned in package.json; test/index-client/undici-core
// checks that these files still export what is used here.

import { createRequire } from "node:module";
import type * as Undici from "undici";

export type UndiciCore = Pick<typeof Undici, "Agent" | "ProxyAgent" | "Pool" | "request" | "buildConnector">;

type RequestOptions = Parameters<typeof Undici.request>[1] & { dispatcher: Undici.Dispatcher };

interface DispatcherApi {
  request(this: Undici.Dispatcher, options: Undici.Dispatcher.RequestOptions): Promise<Undici.Dispatcher.ResponseData>;
}

let loaded: UndiciCore | undefined;

export function loadUndiciCore(): UndiciCore {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const Dispatcher = require("undici/lib/dispatcher/dispatcher.js") as { prototype: object };
  const api = require("undici/lib/api/index.js") as DispatcherApi & Record<string, unknown>;
  // What undici's index.js does before anything else: a dispatcher's request/stream/pipeline/upgrade/connect
  // methods come from here (ProxyAgent opens its CONNECT tunnels through `connect`).
  Object.assign(Dispatcher.prototype, api);
  const { InvalidArgumentError } = require("undici/lib/core/errors.js") as { InvalidArgumentError: new (message: string) => Error };
  /** undici's top-level request for a URL string, always with an explicit dispatcher (never the global one). */
  const request = (url: string | URL, options: RequestOptions) => {
    if (options?.dispatcher === undefined) throw new InvalidArgumentError("a dispatcher is required");
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      throw new InvalidArgumentError("Invalid URL protocol: the URL must start with `http:` or `https:`.");
    const { dispatcher, ...rest } = options;
    return api.request.call(dispatcher, {
      ...rest,
      origin: parsed.origin,
      path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname,
      method: rest.method || (rest.body ? "PUT" : "GET"),
    } as Undici.Dispatcher.RequestOptions);
  };
  loaded = {
    Agent: require("undici/lib/dispatcher/agent.js"),
    ProxyAgent: require("undici/lib/dispatcher/proxy-agent.js"),
    Pool: require("undici/lib/dispatcher/pool.js"),
    buildConnector: require("undici/lib/core/connect.js"),
    request: request as unknown as UndiciCore["request"],
  };
  return loaded;
}
