// Files shipped beside the compiled modules (Python helpers, launcher templates, worker scripts), found
// from the compiled tree's root. Every module directory sits one level below that root (dist/store/,
// dist/python/, and the bundled CLI's chunks in dist/bundled/; src/ under the tests), so one rule finds
// them from tsc's output and from the bundle alike.

const ROOT = new URL("../", import.meta.url);

/** The shipped file at `path` (relative to the compiled root, e.g. "python/probe_python.py"). */
export function shippedFile(path: string): URL {
  return new URL(path, ROOT);
}
