// Shared test helpers for the store: temp dirs and fixture wheels built by code.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWheel, type BuiltWheel, type WheelSpec } from "../../fixtures/wheels.js";

export async function tempDir(prefix = "pystore-store-"): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

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
