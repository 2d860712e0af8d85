// `pystore store info NAME|DIGEST`: everything recorded about matching entries.

import type { Handler } from "./context.js";
import { PystoreError } from "../errors.js";
import { entryJson, humanSize, json, withStore } from "./store-common.js";
import { provenanceJson, provenanceLines } from "../build/provenance.js";

const handler: Handler<{ json?: boolean }> = async (args, options, ctx) => {
  const query = args[0];
  if (!query) throw new PystoreError("USAGE", "store info needs a project name, filename or digest prefix");
  await withStore(
    ctx,
    async (store) => {
      const entries = store.find(query);
      if (entries.length === 0) {
        throw new PystoreError("ENTRY_NOT_FOUND", `nothing in the store matches ${JSON.stringify(query)}`, {
          hint: "see `pystore store ls`",
        });
      }
      if (options.json)
        return ctx.out(json(entries.map((e) => ({ ...entryJson(e, true), builds: store.builds.forWheel(e.sha256).map(provenanceJson) }))));
      const blocks = entries.map((e) =>
        [
          `${e.entryName}`,
          `  name:            ${e.name}`,
          `  version:         ${e.version}`,
          `  filename:        ${e.filename}`,
          `  sha256:          ${e.sha256}`,
          `  integrity:       ${e.integrity}`,
          `  size:            ${e.size} (${humanSize(e.size)})`,
          `  tags:            ${e.tags.join(", ")}`,
          `  requires-python: ${e.requiresPython ?? "(any)"}`,
          `  origin:          ${e.originUrl ?? "(local file)"}`,
          `  index:           ${e.index ?? "(none)"}`,
          `  path:            ${e.path}`,
          `  dependencies:${e.dependencies.length === 0 ? " (none)" : ""}`,
          ...e.dependencies.map((d) => `    ${d}`),
          ...store.builds.forWheel(e.sha256).flatMap(provenanceLines),
        ].join("\n"),
      );
      ctx.out(blocks.join("\n\n"));
    },
    { readonly: true },
  );
};

export default handler;
