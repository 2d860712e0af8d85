// `pystore store pull REF`: a closure artifact from an OCI registry into the store, every blob checked
// against its digest and size before the store's normal add path takes it (all or nothing).

import { PystoreError } from "../errors.js";
import { OciClient } from "../oci/client.js";
import { pullClosure } from "../oci/pull.js";
import { parseReference } from "../oci/reference.js";
import type { Handler } from "./context.js";
import { type IndexFlags, type RemoteStoreFlags, remoteStoreRequest, transportSettings } from "./settings.js";
import { json, withStore } from "./store-common.js";

interface Options extends IndexFlags, RemoteStoreFlags {
  json?: boolean;
}

const handler: Handler<Options> = async (args, options, ctx) => {
  if (args.length !== 1) throw new PystoreError("USAGE", "store pull takes exactly one oci:// reference");
  const ref = parseReference(args[0]);
  if (!ref.tag && !ref.digest)
    throw new PystoreError("USAGE", `${args[0]} names no tag or digest`, {
      hint: "pull REPO:TAG or REPO@sha256:DIGEST, e.g. what `store push` printed",
    });
  const client = new OciClient({
    transport: transportSettings(options, ctx.env),
    insecureRegistries: remoteStoreRequest(options, ctx.env).insecureRegistries,
    env: ctx.env,
    log: ctx.log,
  });
  try {
    const result = await withStore(ctx, (store) => pullClosure(client, store, ref));
    if (options.json) {
      return ctx.out(
        json({
          added: result.added.map((e) => e.entryName),
          digest: result.digest,
          lockSha256: result.lockSha256 ?? null,
          present: result.present.map((e) => e.entryName),
          reference: result.reference,
        }),
      );
    }
    for (const e of result.added) ctx.out(`added ${e.entryName}`);
    ctx.out(`pulled ${result.reference}: ${result.added.length} new wheel(s), ${result.present.length} already present`);
  } finally {
    await client.close();
  }
};

export default handler;
