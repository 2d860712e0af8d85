// Files shipped beside the compiled modules (Python helpers, launcher templates, worker scripts), found
// from the compiled tree's root. Every module directory sits one level below that root (dist/store/,
// dist/python/, and the bundled CLI's entry points and chunks in dist/bundled/; src/ under the tests), so
// one rule finds them from tsc's output and from the bundle alike.

const HERE = new URL("./", import.meta.url);
const ROOT = new URL("../", import.meta.url);
/** Running from the esbuild bundle (npm run build:bundle writes every entry point and chunk there). */
const BUNDLED = HERE.pathname.endsWith("/bundled/");

/** The shipped file at `path` (relative to the compiled root, e.g. "python/probe_python.py"). */
export function shippedFile(path: string): URL {
  return new URL(path, ROOT);
}

/**
 * The worker script `name` (e.g. "tree-worker") of src/store/: the bundled one beside this chunk when the
 * CLI runs bundled (one file instead of the ~25 modules tsc's copy loads), else dist/store/<name>.js. Under
 * the tests (src/) that file does not exist, and the pools work in-thread.
 */
export function workerScript(name: string): URL {
  return BUNDLED ? new URL(`${name}.js`, HERE) : shippedFile(`store/${name}.js`);
}
