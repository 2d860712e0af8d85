// A file's parse handed from its first reader to its second, so a file two readers need (pyproject.toml:
// the settings and the project reader) is parsed once per process. The first reader must not change what
// it hands over nor keep any of it; the second takes it for its own, so a third reader parses again.

const offered = new Map<string, { text: string; parsed: unknown }>();

/** Offer `parsed`, the parse of `text` read from `file`, to the next reader of that file. */
export function offerParsed(file: string, text: string, parsed: unknown): void {
  offered.set(file, { text, parsed });
}

/** The parse offered for `file` if it was made from exactly `text` (it is then no longer offered), else undefined. */
export function takeParsed(file: string, text: string): unknown {
  const entry = offered.get(file);
  if (entry === undefined) return undefined;
  offered.delete(file);
  return entry.text === text ? entry.parsed : undefined;
}
