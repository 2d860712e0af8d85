// A fetch's batch (src/store/fetch-batch.ts): each download written once and linked into place, the rows of
// the whole batch committed in one transaction, the archive vetted from the bytes in memory, and a file a
// concurrent gc takes between link and commit linked again from its staged copy.

import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { IndexClient } from "../../src/index-client/client.js";
import type { ProjectFile } from "../../src/standards/simple-api.js";
import { openStore } from "../../src/store/store.js";
import * as wheelInfo from "../../src/store/wheel-info.js";
import { tempDir } from "../helpers/temp.js";
import { buildWheels, SAMPLE_SPECS } from "./helpers.js";

vi.mock("../../src/store/wheel-info.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/store/wheel-info.js")>();
  return { ...real, readWheelInfo: vi.fn(real.readWheelInfo) };
});

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];
let server: IndexServer;
let client: IndexClient;
let n = 0;

beforeAll(async () => {
  work = await tempDir("fetch-batch");
  wheels = await buildWheels(SAMPLE_SPECS, join(work.path, "wheels"));
  server = await startIndexServer({ wheels });
  client = new IndexClient({ indexUrl: server.url, env: {} });
});
afterAll(async () => {
  await client.close();
  await server.close();
  await work.cleanup();
});

async function files(): Promise<ProjectFile[]> {
  const out: ProjectFile[] = [];
  for (const w of wheels) {
    const name = w.filename.split("-")[0];
    out.push((await client.getProject(name)).find((f) => f.filename === w.filename)!);
  }
  return out;
}

describe("a fetch batch", () => {
  it("commits every row of the batch in one transaction and leaves one link per stored file, nothing in tmp/", async () => {
    const dir = join(work.path, `s${n++}`);
    const store = await openStore({ dir });
    const commits = vi.spyOn(store, "commitRows");
    try {
      const batch = store.fetchBatch(client);
      const fetched = [];
      for (const file of await files()) fetched.push(await batch.fetch({ file }));
      // Linked but not yet committed: no row yet, the file already in place.
      expect(store.list()).toEqual([]);
      for (const entry of fetched) expect(existsSync(entry.path)).toBe(true);
      const committed = await batch.commit();
      await batch.close();
      expect(commits).toHaveBeenCalledTimes(1);
      expect(commits.mock.calls[0][0]).toHaveLength(wheels.length);
      expect(committed.map((e) => e.sha256).sort()).toEqual(wheels.map((w) => w.sha256).sort());
      for (const [i, w] of wheels.entries()) {
        const entry = store.get(w.sha256)!;
        expect(entry.path).toBe(fetched[i].path);
        expect(await readFile(entry.path)).toEqual(w.bytes);
        // The staged name is gone: the stored file is the one written by the download, with no second copy.
        expect(statSync(entry.path).nlink).toBe(1);
      }
      expect(readdirSync(join(dir, "tmp"))).toEqual([]);
    } finally {
      store.close();
    }
  });

  it("vets each download from the bytes it kept in memory, not by reading the file back", async () => {
    const store = await openStore({ dir: join(work.path, `s${n++}`) });
    vi.mocked(wheelInfo.readWheelInfo).mockClear();
    try {
      const [file] = await files();
      await store.fetchWheel(file, client);
      expect(wheelInfo.readWheelInfo).toHaveBeenCalledTimes(1);
      const data = vi.mocked(wheelInfo.readWheelInfo).mock.calls[0][2];
      expect(data).toEqual(wheels[0].bytes);
    } finally {
      store.close();
    }
  });

  it("links a file again from its staged copy when a gc removed it before the rows committed", async () => {
    const dir = join(work.path, `s${n++}`);
    const store = await openStore({ dir });
    try {
      const batch = store.fetchBatch(client);
      const [file] = await files();
      const entry = await batch.fetch({ file });
      // What gc's second step does to an entry directory without a row.
      rmSync(join(entry.path, ".."), { recursive: true, force: true });
      const committed = await batch.commit();
      await batch.close();
      expect(committed.map((e) => e.sha256)).toEqual([wheels[0].sha256]);
      expect(await readFile(store.get(wheels[0].sha256)!.path)).toEqual(wheels[0].bytes);
      expect(readdirSync(join(dir, "tmp"))).toEqual([]);
    } finally {
      store.close();
    }
  });

  it("refuses a download whose bytes are not the lock's, leaving neither an entry nor a staged file", async () => {
    const dir = join(work.path, `s${n++}`);
    const store = await openStore({ dir });
    try {
      const batch = store.fetchBatch(client);
      const [file] = await files();
      await expect(batch.fetch({ file, expected: { sha256: "0".repeat(64) } })).rejects.toMatchObject({ code: "HASH_MISMATCH" });
      expect(await batch.commit()).toEqual([]);
      await batch.close();
      expect(readdirSync(join(dir, "wheels"))).toEqual([]);
      expect(readdirSync(join(dir, "tmp"))).toEqual([]);
    } finally {
      store.close();
    }
  });
});
