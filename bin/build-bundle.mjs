#!/usr/bin/env node
// Writes dist/bundled/, the CLI as bin/pystore runs it (npm run build runs this after tsc).
//
// 1. esbuild turns the TypeScript and the CommonJS dependencies into ES modules, split at every dynamic
//    import, so a command loads only its own code.
// 2. esbuild alone splits too finely: every distinct set of commands sharing a module gets a chunk of its
//    own, and `pystore lock` with nothing changed loaded 39 of them. On Node 20 each costs ~0.4 ms to
//    resolve, open and link before anything runs. rollup regroups esbuild's output: everything the hot
//    steps below import statically goes into one file per step, in order, so a `lock` with nothing to
//    resolve loads main.js and one more file (64 vs 84 ms measured), `fetch` three or four, `bundle` five.
//    The rest keeps rollup's usual split. Each module's code is esbuild's; only which file holds it changes.
// 3. The tree worker is its own self-contained file, started by path (src/util/shipped.ts).
//
// The output is deterministic: file names are content hashes.

import { readdirSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";
import { rollup } from "rollup";

const OUT = "dist/bundled";
const SPLIT = "dist/bundled-split";

// Every chunk keeps `require` for the CommonJS code esbuild bundled and the addons loaded by path.
const BANNER =
  "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);";
const COMMON = { bundle: true, format: "esm", platform: "node", target: "node20", logLevel: "warning", banner: { js: BANNER } };

// The steps whose start-up is measured against pip and the floor (bench/), in the order their files are
// formed: a module joins the first step that imports it. `fetch` checks the lock first (lock-check); a lock
// that resolves loads the index client and lock-resolve. `lock` comes first: its answer with nothing
// changed is measured in milliseconds. `bundle` comes before lock-resolve, which would otherwise take the
// installer's modules they share, and every bundle would load the resolver (measured: 5 files and 766 KB
// instead of 6 and 872 KB; a resolving lock loads 7 files either way). A step that reaches no new module
// gets no file.
const HOT = [
  "src/commands/lock.ts",
  "src/commands/fetch.ts",
  "src/app/lock-check.ts",
  "src/index-client/client.ts",
  "src/commands/bundle.ts",
  "src/app/lock-resolve.ts",
];

rmSync(OUT, { recursive: true, force: true });
rmSync(SPLIT, { recursive: true, force: true });

const { metafile } = await build({
  ...COMMON,
  entryPoints: ["src/cli/main.ts"],
  splitting: true,
  outdir: SPLIT,
  external: ["undici"],
  // commander loads child_process (and with it net and dgram) for a feature pystore does not use.
  alias: { "node:child_process": "./src/cli/bundle-shims/child-process.ts" },
  metafile: true,
});

/** Each output file's static imports (absolute paths), and the output file of each source entry point. */
const staticImports = new Map();
const outputOf = new Map();
for (const [file, output] of Object.entries(metafile.outputs)) {
  const imports = output.imports.filter((i) => i.kind === "import-statement" && !i.external).map((i) => resolve(i.path));
  staticImports.set(resolve(file), imports);
  if (output.entryPoint) outputOf.set(output.entryPoint, resolve(file));
}

/** `file` and every output it imports statically, transitively. */
function closure(file) {
  const seen = new Set([file]);
  for (const f of seen) for (const next of staticImports.get(f) ?? []) seen.add(next);
  return seen;
}

const groupOf = new Map();
for (const f of closure(outputOf.get("src/cli/main.ts"))) groupOf.set(f, "main");
for (const entry of HOT) {
  const file = outputOf.get(entry);
  if (!file) throw new Error(`build-bundle: ${entry} is no longer a dynamic import of the CLI; update HOT`);
  const name = entry.replace(/^.*\//, "").replace(/\.ts$/, "");
  for (const f of closure(file)) if (!groupOf.has(f)) groupOf.set(f, `${name}-group`);
}

const bundle = await rollup({
  input: { main: resolve(SPLIT, "main.js") },
  // esbuild's output imports only Node's modules and the dependencies it left outside.
  external: (id) => !id.startsWith(".") && !id.startsWith("/"),
  treeshake: false,
  // main.js may export what the chunks import from it, rather than being a facade in front of one more file.
  preserveEntrySignatures: "allow-extension",
  onwarn(warning) {
    throw new Error(`build-bundle: rollup: ${warning.message}`);
  },
});
const { output } = await bundle.write({
  dir: OUT,
  format: "es",
  entryFileNames: "[name].js",
  // esbuild's names end in its own hash of the chunk; rollup's hash replaces it.
  chunkFileNames: (chunk) => `${chunk.name.replace(/-[0-9A-Z]{8}$/, "")}-[hash].js`,
  manualChunks: (id) => groupOf.get(id),
});
await bundle.close();
// rollup follows imports from main.js and carries JavaScript only: a file esbuild wrote that nothing
// imports, or that is not JavaScript (an asset, an addon), would be left out, and the staging directory
// goes next.
const written = new Set(output.flatMap((file) => file.moduleIds ?? []));
const missing = [...staticImports.keys()].filter((file) => !written.has(file));
if (missing.length > 0) throw new Error(`build-bundle: rollup left out ${missing.join(", ")}`);
rmSync(SPLIT, { recursive: true, force: true });

await build({
  ...COMMON,
  entryPoints: { "tree-worker": "src/store/tree-worker.ts" },
  outdir: OUT,
  external: ["better-sqlite3", "undici"],
});

process.stderr.write(`build-bundle: ${readdirSync(OUT).length} files in ${OUT}\n`);
