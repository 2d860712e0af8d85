// `pystore store export (-l pylock.toml | NAME…) -o closure.tar`: a self-describing archive for air-gapped machines.

import { resolve } from "node:path";
import type { Handler } from "./context.js";
import { PystoreError } from "../errors.js";
import { closureEntriesForLock } from "../app/export.js";
import { pinnedPythonsForLock } from "../app/export-pythons.js";
import { entriesForNames } from "../store/closure.js";
import type { StoreEntry } from "../store/entries.js";
import { exportClosure } from "../store/export.js";
import { selectionSettings } from "./settings.js";
import { humanSize, json, withStore } from "./store-common.js";

interface Options {
  lock?: string;
  extra?: string[];
  group?: string[];
  output?: string;
  /** --python SHA256-PREFIX (repeatable): interpreters to carry too. */
  python?: string[];
  json?: boolean;
}

const handler: Handler<Options> = async (args, options, ctx) => {
  if (!options.output) throw new PystoreError("USAGE", "store export needs -o FILE");
  if (!options.lock && args.length === 0 && !options.python?.length)
    throw new PystoreError("USAGE", "store export needs -l pylock.toml, at least one NAME, or --python");
  if (options.lock && args.length > 0) throw new PystoreError("USAGE", "store export takes either -l pylock.toml or NAMEs, not both");
  if (!options.lock && (options.extra?.length || options.group?.length))
    throw new PystoreError("USAGE", "--extra and --group choose from a lock: give -l pylock.toml");
  const output = resolve(ctx.cwd, options.output);
  await withStore(ctx, async (store) => {
    let entries: StoreEntry[];
    if (options.lock) {
      entries = await closureEntriesForLock(store, resolve(ctx.cwd, options.lock), options.lock, selectionSettings(options));
    } else {
      entries = args.length > 0 ? entriesForNames(store, args) : [];
    }
    const named = (options.python ?? []).map((prefix) => {
      const found = store.pythons.find(prefix);
      if (found.length !== 1)
        throw new PystoreError(
          found.length === 0 ? "ENTRY_NOT_FOUND" : "USAGE",
          `--python ${JSON.stringify(prefix)} matches ${found.length} stored interpreters`,
          {
            hint: "see `pystore python list`; give a sha256 prefix of 4 or more characters that names one",
          },
        );
      return found[0]!;
    });
    // The lock's pinned interpreters travel with its wheels, each once however it was asked for.
    const pinned = options.lock ? await pinnedPythonsForLock(store, resolve(ctx.cwd, options.lock), options.lock) : [];
    const pythons = [...new Map([...pinned, ...named].map((p) => [p.sha256, p])).values()];
    const { manifest, written } = await exportClosure(store, entries, output, pythons);
    if (options.json) {
      return ctx.out(json({ archive: output, bytes: written.size, members: manifest.members, sha256: written.sha256 }));
    }
    const interpreters = pythons.length > 0 ? ` and ${pythons.length} interpreter(s)` : "";
    ctx.out(`wrote ${output}: ${entries.length} wheel(s)${interpreters}, ${humanSize(written.size)}, sha256 ${written.sha256}`);
  });
};

export default handler;
