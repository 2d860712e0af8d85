// Index pages the index called fresh (Cache-Control max-age, as PyPI sends on every project page) are
// used from the store's cache without a request, as pip and uv use theirs; `--refresh` asks again.

import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type IndexServer, startIndexServer } from "../../fixtures/index-server.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { runCli } from "../helpers/cli.js";

let work: string;
let server: IndexServer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-page-freshness-"));
  const wheels = join(work, "wheels");
  server = await startIndexServer({
    wheels: [
      await buildWheel({ name: "fresh-top", version: "1.0", requiresDist: ["fresh-dep>=1"] }, wheels),
      await buildWheel({ name: "fresh-dep", version: "1.2" }, wheels),
    ],
    pageHeaders: { "cache-control": "max-age=600, public" },
  });
  await mkdir(join(work, "app"));
});

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(args, { cwd: join(work, "app"), env: { PYSTORE_STORE: join(work, "store") } });
const lockArgs = ["lock", "fresh-top", "--platform", "manylinux_x86_64", "--python", "3.11", "--index-url"];
const pageRequests = () => server.requests.filter((r) => r.path.startsWith("/simple/"));

it("re-locks from fresh cached pages without a request, and --refresh revalidates every page", async () => {
  const first = await cli([...lockArgs, server.url]);
  expect(first.code, first.stderr).toBe(0);
  const lock = await readFile(join(work, "app", "pylock.toml"), "utf8");
  const asked = pageRequests().length;
  expect(asked).toBeGreaterThanOrEqual(2);

  const again = await cli([...lockArgs, server.url]);
  expect(again.code, again.stderr).toBe(0);
  expect(pageRequests()).toHaveLength(asked);
  expect(await readFile(join(work, "app", "pylock.toml"), "utf8")).toBe(lock);

  const refreshed = await cli([...lockArgs, server.url, "--refresh"]);
  expect(refreshed.code, refreshed.stderr).toBe(0);
  const revalidations = pageRequests().slice(asked);
  expect(revalidations).toHaveLength(asked);
  for (const request of revalidations) expect(request.headers["if-none-match"], request.path).toBeDefined();
  expect(await readFile(join(work, "app", "pylock.toml"), "utf8")).toBe(lock);
});
