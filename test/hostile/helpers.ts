// Shared by the hostile-input tests: run a reader and return its refusal, the two other readers' views of
// an archive (Python's zipfile and yauzl) for the differential checks, and which hostile wheels admission
// leaves to the readers of their members.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import yauzl from "yauzl";
import { editMember, type HostileRow, hostileRow, hostileWheel, NAME, VERSION } from "../../fixtures/hostile-wheels.js";

export { refusal } from "../helpers/refusal.js";

export interface ZipView {
  ok: boolean;
  names?: string[];
  contents?: Record<string, string>;
  error?: string;
}

/** Python's zipfile's view of each archive (one interpreter for all of them). */
export async function pythonViews(dir: string, archives: Map<string, Buffer>): Promise<Map<string, ZipView>> {
  const paths = new Map<string, string>();
  let n = 0;
  for (const [id, bytes] of archives) {
    const path = join(dir, `view-${n++}.zip`);
    await writeFile(path, bytes);
    paths.set(id, path);
  }
  const { stdout } = await promisify(execFile)("python3", [join(import.meta.dirname, "zip_view.py"), ...paths.values()], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const views = JSON.parse(stdout) as Record<string, ZipView>;
  return new Map([...paths].map(([id, path]) => [id, views[path]]));
}

/** yauzl's view with its defaults (names decoded, Unicode path fields honoured, sizes validated). */
export async function yauzlView(bytes: Buffer): Promise<ZipView> {
  try {
    const zip = await yauzl.fromBufferPromise(bytes, { lazyEntries: true });
    const names: string[] = [];
    const contents: Record<string, string> = {};
    for await (const entry of zip.eachEntry()) {
      names.push(entry.fileName);
      try {
        const stream = await zip.openReadStreamPromise(entry);
        const hash = createHash("sha256");
        for await (const chunk of stream) hash.update(chunk as Buffer);
        contents[entry.fileName] = hash.digest("hex");
      } catch (error) {
        contents[entry.fileName] = `error: ${(error as Error).message}`;
      }
    }
    zip.close();
    return { ok: true, names, contents };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/**
 * The catalogue's rows (fixtures/hostile-wheels.ts) whose defect lives only in an ordinary member's bytes:
 * its CRC, how its deflate stream inflates, its RECORD hash or size. Admission inflates no ordinary member
 * (src/wheel/vet.ts), so it accepts these; the first reader of the member refuses them with the row's code.
 */
export const MEMBER_CONTENT_IDS: ReadonlySet<string> = new Set([
  "crc-wrong",
  "trailing-deflate-bytes",
  "expands-past-header",
  "record-hash",
  "record-size",
]);

/** The first member of every catalogue wheel: where the member-content rows put their defect. */
export const FIRST_MEMBER = "evil/__init__.py";

/** Member-content defects the catalogue has no row for: a member that inflates short, a corrupt stream. */
export const MORE_MEMBER_CONTENT_ROWS: readonly HostileRow[] = [
  hostileRow(
    "expands-short",
    "bombs",
    "UNSAFE_WHEEL",
    /expands to 6 bytes, not the 7 its header says/,
    editMember({ central: { size: 7 }, local: { size: 7 } }, FIRST_MEMBER),
  ),
  hostileRow(
    "corrupt-deflate",
    "structure",
    "UNSAFE_WHEEL",
    /cannot inflate/,
    editMember({ compressed: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }, FIRST_MEMBER),
  ),
];

const DIST_INFO = `${NAME}-${VERSION}.dist-info`;

/**
 * The same kinds of defect in the members admission does read (METADATA, WHEEL, entry_points.txt,
 * RECORD): admission refuses these itself.
 */
export const READ_MEMBER_ROWS: readonly HostileRow[] = [
  hostileRow(
    "metadata-crc",
    "bombs",
    "UNSAFE_WHEEL",
    /METADATA": CRC-32 does not match/,
    editMember({ central: { crc: 1 }, local: { crc: 1 } }, `${DIST_INFO}/METADATA`),
  ),
  hostileRow(
    "wheel-corrupt-deflate",
    "bombs",
    "UNSAFE_WHEEL",
    /WHEEL": cannot inflate/,
    editMember({ compressed: Buffer.from([0xff, 0xff]) }, `${DIST_INFO}/WHEEL`),
  ),
  hostileRow(
    "record-crc",
    "bombs",
    "UNSAFE_WHEEL",
    /RECORD": CRC-32 does not match/,
    editMember({ central: { crc: 1 }, local: { crc: 1 } }, `${DIST_INFO}/RECORD`),
  ),
  hostileRow("entry-points-hash", "bombs", "RECORD_MISMATCH", /entry_points\.txt: sha256 does not match RECORD/, () =>
    hostileWheel({
      distInfoFiles: [["entry_points.txt", "[console_scripts]\nevil = evil:main\n"]],
      record: (rows) => rows.map((r) => (r[0].endsWith("/entry_points.txt") ? [r[0], `sha256=${"A".repeat(43)}`, r[2]] : r)),
    }),
  ),
];
