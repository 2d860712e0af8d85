// Shared test helpers for the store: fixture wheels built by code (temp dirs: test/helpers/temp.ts).

import { buildWheel, type BuiltWheel, type WheelSpec } from "../../fixtures/wheels.js";
import { openStore, type Store } from "../../src/store/store.js";

export async function buildWheels(specs: WheelSpec[], outDir: string): Promise<BuiltWheel[]> {
  const out: BuiltWheel[] = [];
  for (const spec of specs) out.push(await buildWheel(spec, outDir));
  return out;
}

export const SAMPLE_SPECS: WheelSpec[] = [
  { name: "alpha", version: "1.0", requiresDist: ["beta>=2", "gamma; extra == 'fast'"], providesExtra: ["fast"], requiresPython: ">=3.8" },
  { name: "beta", version: "2.1" },
  { name: "beta", version: "1.0" },
  { name: "gamma", version: "0.3", tags: "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64" },
  { name: "Zope.Interface", version: "5.4.0" },
];

/** Run `fn` with the store at `dir` open (created when missing), and close it whatever `fn` does. */
export async function withStoreAt(dir: string, fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await openStore({ dir });
  try {
    await fn(store);
  } finally {
    store.close();
  }
}
