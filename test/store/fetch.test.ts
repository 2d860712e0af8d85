// Store.fetchWheel with the real index client against a loopback index fixture.

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIndexServer, type IndexServer } from "../../fixtures/index-server.js";
import type { BuiltWheel } from "../../fixtures/wheels.js";
import { IndexClient } from "../../src/index-client/client.js";
import { openStore, type Store } from "../../src/store/store.js";
import { buildWheels, SAMPLE_SPECS } from "./helpers.js";
import { tempDir } from "../helpers/temp.js";

let work: { path: string; cleanup: () => Promise<void> };
let wheels: BuiltWheel[];
let server: IndexServer;
let client: IndexClient;
let store: Store;

beforeAll(async () => {
  work = await tempDir("fetch");
  wheels = await buildWheels(SAMPLE_SPECS, join(work.path, "wheels"));
  server = await startIndexServer({ wheels });
  client = new IndexClient({ indexUrl: server.url, env: {} });
  store = await openStore({ dir: join(work.path, "store") });
});
afterAll(async () => {
  store.close();
  await client.close();
  await server.close();
  await work.cleanup();
});

describe("Store.fetchWheel", () => {
  it("downloads, verifies and records origin and index; a second fetch is a no-op", async () => {
    const [file] = (await client.getProject("alpha")).filter((f) => f.filename.endsWith(".whl"));
    const entry = await store.fetchWheel(file, client);
    expect(entry.sha256).toBe(wheels[0].sha256);
    expect(entry.originUrl).toBe(new URL(file.url).href);
    expect(entry.index).toBe(file.index);
    expect(await readFile(entry.path)).toEqual(wheels[0].bytes);
    const downloads = () => server.requests.filter((r) => r.path.startsWith("/files/") && !r.path.endsWith(".metadata")).length;
    const before = downloads();
    await store.fetchWheel(file, client);
    expect(downloads()).toBe(before);
    expect(await readdir(join(work.path, "store", "tmp"))).toEqual([]);
  });

  it("refuses bytes that do not match the expected hash, storing nothing", async () => {
    const [file] = await client.getProject("beta");
    await expect(store.fetchWheel(file, client, { expected: { sha256: "0".repeat(64) } })).rejects.toMatchObject({ code: "HASH_MISMATCH" });
    expect(store.find("beta")).toEqual([]);
    expect(await readdir(join(work.path, "store", "tmp"))).toEqual([]);
  });
});
