// `pystore store export (-l pylock.toml | NAME…) -o closure.tar`: a self-describing archive for air-gapped machines.

import { resolve } from "node:path";
import type { Handler } from "./context.js";
import { PystoreError } from "../errors.js";
import { closureEntriesForLock } from "../app/export.js";
import { entriesForNames } from "../store/closure.js";
import type { StoreEntry } from "../store/entries.js";
import { exportClosure } from "../store/export.js";
import { humanSize, json, withStore } from "./store-common.js";

interface Options {
  lock?: string;
  output?: string;
  json?: boolean;
}

const handler: Handler<Options> = async (args, options, ctx) => {
  if (!options.output) throw new PystoreError("USAGE", "store export needs -o FILE");
  if (!options.lock && args.length === 0) throw new PystoreError("USAGE", "store export needs -l pylock.toml or at least one NAME");
  if (options.lock && args.length > 0) throw new PystoreError("USAGE", "store export takes either -l pylock.toml or NAMEs, not both");
  const output = resolve(ctx.cwd, options.output);
  await withStore(ctx, async (store) => {
    let entries: StoreEntry[];
    if (options.lock) {
      entries = await closureEntriesForLock(store, resolve(ctx.cwd, options.lock), options.lock);
    } else {
      entries = entriesForNames(store, args);
    }
    const { manifest, written } = await exportClosure(store, entries, output);
    if (options.json) {
      return ctx.out(json({ archive: output, bytes: written.size, members: manifest.members, sha256: written.sha256 }));
    }
    ctx.out(`wrote ${output}: ${manifest.members.length} wheel(s), ${humanSize(written.size)}, sha256 ${written.sha256}`);
  });
};

export default handler;
