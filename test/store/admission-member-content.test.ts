// Admission leaves an ordinary member's content to its readers (src/wheel/vet.ts): a wheel whose member
// does not match its CRC, its declared size or RECORD is stored by every way in (store add, a fetch, a
// pull's staged blobs), and the first unpack of its tree refuses it with the reader's code, naming the
// wheel and the member, leaving no tree and nothing in tmp/; `store verify` reports it as invalid and
// --repair does not pretend to fix it. Large members (streamed by the unpack) get the same refusal.

import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FILENAME, HOSTILE_WHEELS, type HostileRow, hostileWheel } from "../../fixtures/hostile-wheels.js";
import { startIndexServer } from "../../fixtures/index-server.js";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { PystoreError } from "../../src/errors.js";
import { IndexClient } from "../../src/index-client/client.js";
import { openStore, type Store } from "../../src/store/store.js";
import { tmpDir } from "../../src/store/layout.js";
import { ensureTree, treeDir } from "../../src/store/tree.js";
import { verifyStore } from "../../src/store/verify.js";
import { FIRST_MEMBER, MEMBER_CONTENT_IDS, MORE_MEMBER_CONTENT_ROWS } from "../hostile/helpers.js";
import { tempDir, type TempDir } from "../helpers/temp.js";

let work: TempDir;
let n = 0;
beforeAll(async () => {
  work = await tempDir("admission-member-content");
});
afterAll(() => work?.cleanup());

const BIG = 5 * 1024 * 1024;
/** Not zeros: the streamed member must stay under the compression-ratio limit. */
const bigData = () => Buffer.concat(Array.from({ length: BIG / 32 }, (_, i) => createHash("sha256").update(String(i)).digest()));

/** Members above 4 MiB are inflated, hashed and written piece by piece by the unpack (src/store/tree.ts). */
const streamed: HostileRow[] = [
  {
    id: "large member, RECORD hash",
    cls: "content",
    filename: FILENAME,
    code: "RECORD_MISMATCH",
    reason: /evil\/big\.bin: sha256 does not match RECORD/,
    bytes: () =>
      hostileWheel({
        files: [["evil/big.bin", bigData()]],
        record: (rows) => rows.map((r) => (r[0] === "evil/big.bin" ? [r[0], `sha256=${"A".repeat(43)}`, r[2]] : r)),
      }),
  },
  {
    id: "large member, CRC",
    cls: "structure",
    filename: FILENAME,
    code: "UNSAFE_WHEEL",
    reason: /"evil\/big\.bin": CRC-32 does not match its data/,
    bytes: () =>
      hostileWheel({
        files: [["evil/big.bin", bigData()]],
        entries: (e) => e.map((x) => (x.name === "evil/big.bin" ? { ...x, central: { crc: 1 }, local: { crc: 1 } } : x)),
      }),
  },
];

const rows = [...HOSTILE_WHEELS.filter((r) => MEMBER_CONTENT_IDS.has(r.id)), ...MORE_MEMBER_CONTENT_ROWS, ...streamed];
const memberOf = (row: HostileRow) => (row.id.startsWith("large member") ? "evil/big.bin" : FIRST_MEMBER);

function described(dir: string, row: HostileRow): BuiltWheel {
  const bytes = row.bytes();
  return {
    filename: row.filename,
    path: join(dir, row.filename),
    bytes,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    size: bytes.length,
    metadata: "",
  };
}

async function fresh(): Promise<{ store: Store; dir: string }> {
  const dir = join(work.path, `s${n++}`);
  return { store: await openStore({ dir }), dir };
}

/** The first unpack refuses the stored wheel as the row says, and leaves no tree and nothing in tmp/. */
async function expectUnpackRefused(store: Store, sha256: string, row: HostileRow): Promise<void> {
  const entry = store.get(sha256)!;
  const error = await ensureTree(store.dir, entry).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PystoreError);
  expect({ code: (error as PystoreError).code, message: (error as PystoreError).message }).toEqual({
    code: row.code,
    message: expect.stringMatching(row.reason),
  });
  expect((error as PystoreError).message).toContain(row.filename);
  expect((error as PystoreError).message).toContain(memberOf(row));
  expect(existsSync(treeDir(store.dir, entry.entryName))).toBe(false);
  expect(readdirSync(tmpDir(store.dir))).toEqual([]);
}

describe("store add admits it, and the first unpack refuses it", () => {
  it.each(rows.map((r) => [r.id, r] as const))("%s", async (_id, row) => {
    const { store } = await fresh();
    try {
      const w = described(join(work.path, `w${n}`), row);
      await writeFile(join(work.path, `w${n}.whl`), w.bytes);
      const entry = await store.addWheelFile(join(work.path, `w${n}.whl`), { filename: w.filename });
      expect(entry.sha256).toBe(w.sha256);
      await expectUnpackRefused(store, w.sha256, row);
      // A second bundle meets the same refusal: nothing half-made was kept to trip over.
      await expectUnpackRefused(store, w.sha256, row);
    } finally {
      store.close();
    }
  });
});

describe("store verify checks every member of every wheel", () => {
  it.each(rows.map((r) => [r.id, r] as const))("%s: reported invalid, naming the member; --repair leaves it so", async (_id, row) => {
    const { store } = await fresh();
    try {
      await writeFile(join(work.path, `good${n}.whl`), hostileWheel());
      await store.addWheelFile(join(work.path, `good${n}.whl`), { filename: FILENAME });
      const bad = described(work.path, row);
      await writeFile(join(work.path, `bad${n}.whl`), bad.bytes);
      await store.addWheelFile(join(work.path, `bad${n}.whl`), { filename: bad.filename });
      const report = await verifyStore(store);
      expect(report.checked).toBe(2);
      expect(report.problems).toHaveLength(1);
      const [problem] = report.problems;
      expect(problem).toMatchObject({ what: "wheel", status: "invalid", repaired: false });
      expect(problem.entry.sha256).toBe(bad.sha256);
      expect(problem.reason).toMatch(row.reason);
      expect(problem.reason).toContain(memberOf(row));
      const repaired = await verifyStore(store, { repair: true, refetch: async () => expect.unreachable("nothing to re-fetch") });
      expect(repaired.problems).toHaveLength(1);
      expect(repaired.problems[0]).toMatchObject({ status: "invalid", repaired: false });
      expect(repaired.problems[0].repairError).toMatch(/re-fetching cannot repair it/);
      expect(store.get(bad.sha256)).toBeDefined();
    } finally {
      store.close();
    }
  });

  it("reports nothing for a store of sound wheels, trees or not", async () => {
    const { store } = await fresh();
    try {
      await writeFile(join(work.path, `sound${n}.whl`), hostileWheel());
      const entry = await store.addWheelFile(join(work.path, `sound${n}.whl`), { filename: FILENAME });
      expect((await verifyStore(store)).problems).toEqual([]);
      await ensureTree(store.dir, entry);
      const report = await verifyStore(store);
      expect(report.problems).toEqual([]);
      expect(report.treesChecked).toBe(1);
    } finally {
      store.close();
    }
  });
});

describe("a fetch and a pull admit it the same way", () => {
  const row = HOSTILE_WHEELS.find((r) => r.id === "record-hash")!;

  it("fetch: stored from the bytes in memory, then refused by the unpack", async () => {
    const w = described(join(work.path, "served"), row);
    const server = await startIndexServer({ wheels: [w] });
    const client = new IndexClient({ indexUrl: server.url, env: {} });
    const { store } = await fresh();
    try {
      const [file] = await client.getProject("evil");
      const entry = await store.fetchWheel(file, client, { expected: { sha256: w.sha256, size: w.size } });
      expect(entry.sha256).toBe(w.sha256);
      await expectUnpackRefused(store, w.sha256, row);
    } finally {
      store.close();
      await client.close();
      await server.close();
    }
  });

  it("pull: a staged blob admitted, linked and committed, then refused by the unpack", async () => {
    const { store } = await fresh();
    try {
      const w = described(work.path, row);
      const staged = join(tmpDir(store.dir), `pulled-${w.filename}`);
      await writeFile(staged, w.bytes);
      const admission = store.admitStaged();
      try {
        admission.add({ path: staged, filename: w.filename, sha256: w.sha256, size: w.size });
        const [entry] = await admission.finish();
        expect(entry.sha256).toBe(w.sha256);
      } finally {
        await admission.close();
      }
      expect(readdirSync(tmpDir(store.dir))).toEqual([]);
      await expectUnpackRefused(store, w.sha256, row);
    } finally {
      store.close();
    }
  });
});
