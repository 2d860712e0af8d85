// PEP 643 (core metadata 2.2+): an sdist's PKG-INFO is the built wheel's metadata for every field it
// does not mark Dynamic. Pure: decides whether PKG-INFO alone may answer the resolver, and checks the
// identity it claims against the sdist's file name.

import { PystoreError } from "../errors.js";
import { type CoreMetadata, parseCoreMetadata } from "../standards/metadata.js";
import { canonicalizeName } from "../standards/normalize.js";
import { compareVersions } from "../standards/pep440.js";

/** The fields the resolver reads; if either is Dynamic, only the backend can say. */
const RESOLVER_FIELDS = ["requires-dist", "requires-python"];

/** Does `meta` (from PKG-INFO) fix everything the resolver needs (Metadata-Version ≥ 2.2, none of it Dynamic)? */
export function isStaticForResolver(meta: CoreMetadata): boolean {
  const [major, minor] = meta.metadataVersion.split(".").map(Number);
  if (major < 2 || (major === 2 && minor < 2)) return false;
  const dynamic = new Set(meta.dynamic.map((f) => f.toLowerCase()));
  return RESOLVER_FIELDS.every((f) => !dynamic.has(f));
}

/** Metadata (PKG-INFO, or the backend's METADATA) must name the sdist's project and version. */
export function checkIdentity(meta: CoreMetadata, expected: { name: string; version: string }, source: string): void {
  const sameName = canonicalizeName(meta.name) === canonicalizeName(expected.name);
  let sameVersion = false;
  try {
    sameVersion = compareVersions(meta.version, expected.version) === 0;
  } catch {
    sameVersion = false;
  }
  if (!sameName || !sameVersion) {
    throw new PystoreError(
      "INVALID_METADATA",
      `${source} says ${meta.name} ${meta.version}, but the sdist is ${expected.name} ${expected.version}`,
      {
        hint: "the sdist is mislabelled or hostile; pystore uses nothing from it",
        details: { source, found: { name: meta.name, version: meta.version }, expected },
      },
    );
  }
}

/** PKG-INFO parsed and checked; `static` says whether the resolver may use it without a build. */
export function readPkgInfo(
  text: string,
  expected: { name: string; version: string },
  source: string,
): { meta: CoreMetadata; static: boolean } {
  const meta = parseCoreMetadata(text, source);
  checkIdentity(meta, expected, source);
  return { meta, static: isStaticForResolver(meta) };
}
