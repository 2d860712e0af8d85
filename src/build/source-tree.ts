// What an sdist says about building itself: pyproject.toml's [build-system] (PEP 517/518), or
// setuptools' legacy default when it has none. Pure.

import { parse as parseToml } from "smol-toml";
import { PystoreError } from "../errors.js";
import { parseRequirement, type Requirement } from "../standards/pep508.js";

export interface BuildSystem {
  requires: Requirement[];
  backend: string;
  backendPath: string[];
}

/** PEP 517's fallback for a tree without build-backend, as pip and uv use it. */
export const LEGACY_BUILD_SYSTEM = { requires: ["setuptools>=40.8.0"], backend: "setuptools.build_meta:__legacy__" } as const;

export function buildSystemOf(pyproject: string | undefined, label: string): BuildSystem {
  const fail = (why: string, cause?: unknown) =>
    new PystoreError("INVALID_PYPROJECT", `${label}: pyproject.toml ${why}`, {
      hint: "the sdist's [build-system] table is malformed; its publisher has to fix it",
      cause,
    });
  if (pyproject === undefined) return legacy();
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(pyproject) as Record<string, unknown>;
  } catch (error) {
    throw fail(`is not valid TOML: ${(error as Error).message.split("\n")[0]}`, error);
  }
  const table = doc["build-system"] as Record<string, unknown> | undefined;
  if (table === undefined) return legacy();
  const requires = table.requires;
  if (!Array.isArray(requires) || !requires.every((r) => typeof r === "string"))
    throw fail("[build-system] requires is not a list of strings");
  const backend = table["build-backend"];
  if (backend !== undefined && (typeof backend !== "string" || !/^[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?$/.test(backend)))
    throw fail(`[build-system] build-backend ${JSON.stringify(backend)} is not an object reference`);
  const backendPath = table["backend-path"] ?? [];
  if (!Array.isArray(backendPath) || !backendPath.every((p) => typeof p === "string"))
    throw fail("[build-system] backend-path is not a list of strings");
  for (const p of backendPath as string[]) {
    if (p.startsWith("/") || p.split("/").includes(".."))
      throw fail(`[build-system] backend-path entry ${JSON.stringify(p)} leaves the source tree`);
  }
  const parsed = (requires as string[]).map((r) => {
    try {
      return parseRequirement(r);
    } catch (error) {
      throw fail(`[build-system] requires ${JSON.stringify(r)} is not a requirement`, error);
    }
  });
  // Without a backend, setuptools' legacy backend runs with the requirements the tree gave (PEP 517).
  return {
    requires: parsed,
    backend: (backend as string | undefined) ?? LEGACY_BUILD_SYSTEM.backend,
    backendPath: backendPath as string[],
  };
}

function legacy(): BuildSystem {
  return { requires: LEGACY_BUILD_SYSTEM.requires.map((r) => parseRequirement(r)), backend: LEGACY_BUILD_SYSTEM.backend, backendPath: [] };
}
