// The store's directory layout and entry naming grammar (store-format/store-layout.md). Pure: paths only.

import { createHash } from "node:crypto";
import { join } from "node:path";
import { PystoreError } from "../errors.js";

/** Nix's base32 alphabet: no e, o, u, t (avoids accidental words). */
const NIX_BASE32 = "0123456789abcdfghijklmnpqrsvwxyz";
/** Length of the short digest in entry names: 160 bits → 32 base32 characters, like Nix store paths. */
const SHORT_DIGEST_LENGTH = 32;

const DB_FILE = "store.db";
const WHEELS_DIR = "wheels";
const TMP_DIR = "tmp";

/**
 * Nix's encoding: the bytes are read as one little-endian number and printed 5 bits at a time,
 * most significant character first.
 */
export function nixBase32(bytes: Uint8Array): string {
  const length = Math.ceil((bytes.length * 8) / 5);
  let out = "";
  for (let n = length - 1; n >= 0; n--) {
    const bit = n * 5;
    const i = Math.floor(bit / 8);
    const j = bit % 8;
    const c = ((bytes[i] ?? 0) >> j) | (j > 3 ? ((bytes[i + 1] ?? 0) << (8 - j)) & 0xff : 0);
    out += NIX_BASE32[c & 0x1f];
  }
  return out;
}

/** Nix's compressHash: XOR-fold a digest down to `size` bytes. */
export function foldHash(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < bytes.length; i++) out[i % size] ^= bytes[i];
  return out;
}

/** The 32-character short digest that starts an entry name, from the wheel's hex sha256. */
export function shortDigest(sha256Hex: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256Hex)) {
    throw new PystoreError("INTERNAL", `not a lower-case hex sha256: ${JSON.stringify(sha256Hex)}`);
  }
  return nixBase32(foldHash(Buffer.from(sha256Hex, "hex"), 20));
}

export interface EntryNameParts {
  digest: string;
  /** The wheel's escaped distribution name (canonical name with `-` → `_`). */
  name: string;
  version: string;
  /** The compressed tag set exactly as in the filename, e.g. `py3-none-any`. */
  tag: string;
}

/** `<digest>-<name>-<version>-<tag>`: readable, sortable by digest, unique per wheel bytes. */
export function entryName(sha256Hex: string, canonicalName: string, version: string, tag: string): string {
  const name = canonicalName.replace(/-/g, "_");
  for (const [what, value] of [
    ["name", name],
    ["version", version],
  ] as const) {
    if (!/^[A-Za-z0-9_.!+]+$/.test(value)) throw new PystoreError("INTERNAL", `cannot name an entry with ${what} ${JSON.stringify(value)}`);
  }
  if (!/^[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+$/.test(tag)) {
    throw new PystoreError("INTERNAL", `cannot name an entry with tag ${JSON.stringify(tag)}`);
  }
  return `${shortDigest(sha256Hex)}-${name}-${version}-${tag}`;
}

const ENTRY_NAME = new RegExp(
  `^([${NIX_BASE32}]{${SHORT_DIGEST_LENGTH}})-([A-Za-z0-9_.]+)-([A-Za-z0-9_.!+]+)-([A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+)$`,
);

export function parseEntryName(text: string): EntryNameParts | undefined {
  const m = ENTRY_NAME.exec(text);
  if (!m) return undefined;
  return { digest: m[1], name: m[2], version: m[3], tag: m[4] };
}

/** The compressed tag set of a wheel filename (its last three dash-separated components). */
export function filenameTag(filename: string): string {
  const parts = filename.replace(/\.whl$/, "").split("-");
  return parts.slice(-3).join("-");
}

export function wheelsDir(storeDir: string): string {
  return join(storeDir, WHEELS_DIR);
}

export function tmpDir(storeDir: string): string {
  return join(storeDir, TMP_DIR);
}

export function dbPath(storeDir: string): string {
  return join(storeDir, DB_FILE);
}

/** Where a wheel's bytes live: its own directory, so the file keeps its real (installer-meaningful) name. */
export function entryDir(storeDir: string, name: string): string {
  return join(storeDir, WHEELS_DIR, name);
}

export function entryFilePath(storeDir: string, name: string, filename: string): string {
  return join(storeDir, WHEELS_DIR, name, filename);
}

/** ssri integrity string for a hex sha256. */
export function integrityOf(sha256Hex: string): string {
  return `sha256-${Buffer.from(sha256Hex, "hex").toString("base64")}`;
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}
