// One ordering for everything pystore sorts into a file or a hash: code-unit order, as `Array.sort()`
// uses by default, never the locale's (which differs between machines and would break byte-identity).

/** Code-unit order of two strings: -1, 0 or 1. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A comparator over a string key of each item (`items.sort(byKey((p) => p.name))`). */
export function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => compareStrings(key(a), key(b));
}

/** Items of objects with a `name`, by name. */
export const byName: <T extends { name: string }>(a: T, b: T) => number = (a, b) => compareStrings(a.name, b.name);

/** Items of objects with a `path`, by path. */
export const byPath: <T extends { path: string }>(a: T, b: T) => number = (a, b) => compareStrings(a.path, b.path);

/** A sorted copy of `values` without duplicates. */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareStrings);
}
