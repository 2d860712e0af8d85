// Stable JSON: object keys sorted at every depth (arrays keep their order), so the same value always
// gives the same bytes; every JSON file pystore writes and every hash taken over JSON goes through here.

import { compareStrings } from "./order.js";

/** `value` with the keys of every nested object in code-unit order; `undefined` members are dropped. */
export function sortKeysDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeysDeep) as T;
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .filter((key) => record[key] !== undefined)
        .sort(compareStrings)
        .map((key) => [key, sortKeysDeep(record[key])]),
    ) as T;
  }
  return value;
}

/** Indented stable JSON with a final newline: what every JSON file pystore writes looks like. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeysDeep(value), null, 2)}\n`;
}
