// A build as a derivation (Nix's word): every input that can change the built wheel's bytes, written as
// stable JSON and hashed into the build key. Same key → the stored wheel is reused, never rebuilt. Pure.

import { createHash } from "node:crypto";
import { byKey } from "../util/order.js";
import { stableJson } from "../util/stable-json.js";

/** Bumped when the frontend or the sandbox changes in a way that can change what a build produces. */
export const BUILDER_VERSION = "pystore-build/1";

export interface FileInput {
  filename: string;
  sha256: string;
}

export interface Derivation {
  builder: string;
  sdist: FileInput;
  /** The build environment: every wheel installed into it, sorted by file name. */
  buildRequires: FileInput[];
  interpreter: { implementation: string; version: string; platform: string; soabi: string };
  /** --build-network: the backend could reach the network (its result may depend on it). */
  network: boolean;
}

export function makeDerivation(parts: Omit<Derivation, "builder">): Derivation {
  return {
    builder: BUILDER_VERSION,
    sdist: { filename: parts.sdist.filename, sha256: parts.sdist.sha256.toLowerCase() },
    buildRequires: [...parts.buildRequires]
      .map((f) => ({ filename: f.filename, sha256: f.sha256.toLowerCase() }))
      .sort(byKey((f) => f.filename)),
    interpreter: { ...parts.interpreter },
    network: parts.network,
  };
}

/** The derivation's identity: sha256 of its stable JSON. */
export function buildKey(derivation: Derivation): string {
  return createHash("sha256").update(stableJson(derivation)).digest("hex");
}
