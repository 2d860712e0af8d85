// withStoreIndex: the store's wheels as extra project files for `lock --offline`, with metadata from the rows.

import { describe, expect, it } from "vitest";
import { withStoreIndex } from "../../src/app/store-index.js";
import { PystoreError } from "../../src/errors.js";
import type { StoreEntry } from "../../src/store/entries.js";
import type { ProjectFile } from "../../src/standards/simple-api.js";
import { silentLogger } from "../../src/util/log.js";

const entry = (over: Partial<StoreEntry>): StoreEntry => ({
  sha256: "a".repeat(64),
  integrity: "",
  size: 10,
  filename: "alpha-1.0-py3-none-any.whl",
  name: "alpha",
  version: "1.0",
  tags: ["py3-none-any"],
  metadata: "Metadata-Version: 2.1\nName: alpha\nVersion: 1.0\n",
  dependencies: [],
  originUrl: "https://mirror.example/files/alpha-1.0-py3-none-any.whl",
  index: "https://mirror.example/simple/",
  entryName: "x",
  path: "/nowhere",
  addedAt: 0,
  ...over,
});

function fakeStore(entries: StoreEntry[]) {
  return {
    entries: {
      find: (_q: string, name: string) => entries.filter((e) => e.name === name),
      get: (sha: string) => entries.find((e) => e.sha256 === sha),
    },
  } as never;
}

const offlineClient = {
  getProject: async (): Promise<ProjectFile[]> => {
    throw new PystoreError("OFFLINE_MISSING", "offline: not in the cache");
  },
  getMetadata: async (): Promise<string> => {
    throw new PystoreError("OFFLINE_MISSING", "offline: not in the cache");
  },
  downloadToFile: async () => {
    throw new Error("no downloads here");
  },
} as never;

describe("withStoreIndex", () => {
  it("lists held wheels with their origin URL and index, and answers their metadata from the row", async () => {
    const held = entry({});
    const noOrigin = entry({ sha256: "b".repeat(64), filename: "alpha-1.0-py2-none-any.whl", originUrl: undefined });
    const index = withStoreIndex(offlineClient, fakeStore([held, noOrigin]), "https://fallback.example/simple/", silentLogger);
    const files = await index.getProject("Alpha");
    expect(files).toEqual([
      {
        filename: held.filename,
        url: held.originUrl,
        hashes: { sha256: held.sha256 },
        size: 10,
        index: "https://mirror.example/simple/",
      },
    ]);
    expect(index.filesListed).toBe(1);
    expect(await index.getMetadata(files[0])).toBe(held.metadata);
  });

  it("falls back to the lock's index for a wheel fetched without one, and passes on what the store lacks", async () => {
    const index = withStoreIndex(
      offlineClient,
      fakeStore([entry({ index: undefined })]),
      "https://u:p@fallback.example/simple/",
      silentLogger,
    );
    expect((await index.getProject("alpha"))[0].index).toBe("https://fallback.example/simple/");
    await expect(index.getProject("beta")).rejects.toMatchObject({ code: "OFFLINE_MISSING" });
  });
});
