// A wheel's RECORD checked against its members (binary distribution format, "The .dist-info directory"):
// every file listed with an accepted hash, nothing listed that is absent, each member's bytes matching.

import { isAscii } from "node:buffer";
import { createHash, hash } from "node:crypto";
import { PystoreError } from "../errors.js";
import { parseRecord, type RecordRow } from "../standards/record.js";
import { checkEntryName } from "./safety.js";

/** Hashes RECORD may use: the spec forbids md5 and sha1; these are the ones hashlib guarantees. */
export const ACCEPTED_HASHES: ReadonlySet<string> = new Set([
  "sha256",
  "sha384",
  "sha512",
  "sha3_256",
  "sha3_384",
  "sha3_512",
  "blake2b",
  "blake2s",
]);

/** hashlib names that Node spells differently. */
const NODE_HASH: Record<string, string> = {
  sha3_256: "sha3-256",
  sha3_384: "sha3-384",
  sha3_512: "sha3-512",
  blake2b: "blake2b512",
  blake2s: "blake2s256",
};

/** The urlsafe-base64 digest RECORD would hold for `data` under `algorithm` (a hashlib name). */
export function recordDigest(algorithm: string, data: Uint8Array): string {
  if (algorithm === "sha256") return hash("sha256", data, "base64url");
  return createHash(NODE_HASH[algorithm] ?? algorithm)
    .update(data)
    .digest("base64url");
}

function mismatch(archive: string, file: string, why: string): PystoreError {
  return new PystoreError("RECORD_MISMATCH", `${archive}: ${file}: ${why}`, {
    hint: "the wheel's contents do not match its RECORD; it was altered or built wrongly, so nothing was installed",
    details: { archive, file, reason: why },
  });
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

export interface RecordListing {
  recordPath: string;
  /** RECORD's rows by normalised path. */
  recorded: Map<string, RecordRow>;
  /** RECORD itself and its signatures: the files RECORD cannot list with a hash. */
  unsigned: Set<string>;
}

/**
 * RECORD must list every file of the wheel, each with an accepted hash, and nothing else. `files`: the
 * members' names as the archive's safety checks returned them (./safety.ts); `read` returns a member's
 * bytes (undefined when absent); `present`: `files` as a set, when the caller already holds one (the
 * archive's members by path), so that none is built again.
 */
export function checkRecordListing(
  archive: string,
  distInfo: string,
  files: string[],
  read: (path: string) => Buffer | undefined,
  present: { has(path: string): boolean; readonly size: number } = new Set(files),
): RecordListing {
  const recordPath = `${distInfo}/RECORD`;
  const recordBytes = read(recordPath);
  if (!recordBytes) throw mismatch(archive, recordPath, "the wheel has no RECORD file");
  let text: string;
  try {
    // Most RECORDs are ASCII, which latin1 reads as it is, without the UTF-8 validation pass.
    text = isAscii(recordBytes) ? recordBytes.toString("latin1") : UTF8.decode(recordBytes);
  } catch {
    throw mismatch(archive, recordPath, "RECORD is not valid UTF-8");
  }
  const rows = parseRecord(text, `${archive}:${recordPath}`);
  const recorded = new Map<string, RecordRow>();
  // Indexed loops: until the JIT has optimised this code, a for-of allocates an iterator result per row.
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    // A RECORD path outside the wheel is what an uninstaller would delete: UNSAFE_WHEEL, as for a member.
    // A member's own name passed the same check, in canonical form, when the archive was read.
    const key = present.has(row.path) ? row.path : checkEntryName(`${archive}: ${recordPath}`, row.path);
    if (key !== row.path) throw mismatch(archive, row.path, `RECORD spells it differently from the archive (${JSON.stringify(key)})`);
    if (recorded.has(key)) throw mismatch(archive, row.path, "listed twice in RECORD");
    recorded.set(key, row);
  }
  const unsigned = new Set([recordPath, `${distInfo}/RECORD.jws`, `${distInfo}/RECORD.p7s`]);
  let matched = 0;
  for (let i = 0; i < files.length; i++) {
    const path = files[i];
    const row = recorded.get(path);
    if (row) matched++;
    if (unsigned.has(path)) continue;
    if (!row) throw mismatch(archive, path, "present in the wheel but not listed in RECORD");
    if (!row.hash) throw mismatch(archive, path, "listed in RECORD without a hash");
    if (!ACCEPTED_HASHES.has(row.hash.algorithm))
      throw mismatch(archive, path, `RECORD uses the weak or unknown hash ${JSON.stringify(row.hash.algorithm)}`);
  }
  // When every row was matched by a file, and no file twice, no row names a missing one.
  if (matched !== recorded.size || present.size !== files.length)
    for (const path of recorded.keys()) {
      if (!present.has(path)) throw mismatch(archive, path, "listed in RECORD but missing from the wheel");
    }
  return { recordPath, recorded, unsigned };
}

/**
 * Whether `data` matches its RECORD row's hash; `sha256` is the digest already computed from it, so the
 * common sha256 RECORD costs no second hash.
 */
export function matchesRecordHash(row: RecordRow, data: Uint8Array, sha256: Buffer): boolean {
  const { algorithm, digest } = row.hash!;
  return (algorithm === "sha256" ? sha256.toString("base64url") : recordDigest(algorithm, data)) === digest;
}

/** One member's bytes against its RECORD row; `sha256` is the digest already computed from `data`. */
export function checkRecordedFile(archive: string, path: string, data: Buffer, sha256: Buffer, expected: RecordRow): void {
  if (!matchesRecordHash(expected, data, sha256)) throw mismatch(archive, path, `${expected.hash!.algorithm} does not match RECORD`);
  if (expected.size !== undefined && expected.size !== data.length)
    throw mismatch(archive, path, `size ${data.length} does not match RECORD's ${expected.size}`);
}
