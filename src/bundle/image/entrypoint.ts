// Which executable an image runs, and where in the image the bundle sits. Pure: both are decided from
// the bundle manifest and the command line.

import { PystoreError } from "../../errors.js";
import { canonicalizeName } from "../../standards/normalize.js";
import type { BundleManifest } from "../manifest.js";

type Executables = Pick<BundleManifest, "executables" | "name">;

/** Executables the project declares itself (not a dependency's, taken with --dep-scripts). */
const isProjects = (origin: string) => origin.startsWith("[");

function listed(manifest: Executables): string {
  return manifest.executables.map((e) => `${e.name} (${e.origin})`).join(", ");
}

/**
 * The executable the image's Entrypoint runs: `requested` when given (it must exist); else the one
 * executable, the project's one, or the one named like the project; undefined when there is none.
 */
export function chooseEntrypoint(manifest: Executables, requested: string | undefined): string | undefined {
  const names = manifest.executables.map((e) => e.name);
  if (requested !== undefined) {
    if (names.includes(requested)) return requested;
    throw new PystoreError("USAGE", `--entrypoint ${JSON.stringify(requested)} is not an executable of the bundle`, {
      hint:
        names.length > 0
          ? `choose one of: ${listed(manifest)}`
          : "the bundle has no executables; declare [project.scripts] or leave out --entrypoint",
    });
  }
  if (names.length <= 1) return names[0];
  const own = manifest.executables.filter((e) => isProjects(e.origin));
  if (own.length === 1) return own[0].name;
  const named = (own.length > 0 ? own : manifest.executables).find((e) => canonicalizeName(e.name) === canonicalizeName(manifest.name));
  if (named) return named.name;
  throw new PystoreError("USAGE", `the bundle has ${names.length} executables; say which one the image runs with --entrypoint NAME`, {
    hint: `choose one of: ${listed(manifest)}`,
  });
}

const PREFIX = /^(?:\/[A-Za-z0-9._+@-]+)+$/;

/** The bundle's directory inside the image: `prefix` checked, or /opt/<normalised name>. */
export function imagePrefix(name: string, prefix: string | undefined): string {
  const chosen = prefix ?? `/opt/${canonicalizeName(name)}`;
  const parts = chosen.split("/");
  if (!PREFIX.test(chosen) || parts.includes("..") || parts.includes("."))
    throw new PystoreError(
      "USAGE",
      `--prefix ${JSON.stringify(chosen)} is not an absolute, normalised directory for the bundle in the image`,
      {
        hint: "e.g. --prefix /opt/myapp (letters, digits and ._+@- between slashes; not / itself)",
      },
    );
  return chosen;
}
