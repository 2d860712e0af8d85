// Plain-HTTP downloads through the REAL tinyproxy from the REAL nginx, many times over: tinyproxy closes the
// connection right after the last byte of a response, and not one download may fail because of it. undici
// also drops bytes it had buffered when such a close comes while the body is paused; the resume (Range)
// recovers those, so the client keeps its usual retry budget here.

import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startNginxIndex, type NginxIndex } from "../../fixtures/nginx.js";
import { startTinyproxy, type Tinyproxy } from "../../fixtures/tinyproxy.js";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { withClient } from "./helpers.js";

const WHEELS = 36;
const ROUNDS = 6;

let dir: string;
let wheels: BuiltWheel[];
let index: NginxIndex;
let proxy: Tinyproxy;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pystore-tinyproxy-plain-"));
  // Incompressible and of differing sizes, so the last byte falls anywhere in a TCP segment.
  wheels = await Promise.all(
    Array.from({ length: WHEELS }, (_, i) =>
      buildWheel(
        { name: `plain${i}`, version: "1.0", files: { [`plain${i}/data.bin`]: randomBytes(20_000 + i * 7_919) } },
        join(dir, "src"),
      ),
    ),
  );
  index = await startNginxIndex(wheels);
  proxy = await startTinyproxy();
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await index?.close();
  rmSync(dir, { recursive: true, force: true });
});

it(`downloads ${WHEELS} wheels ${ROUNDS} times through tinyproxy over plain HTTP without one failure`, async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const out = mkdtempSync(join(dir, `round${round}-`));
    await withClient({ indexUrl: index.url, proxy: proxy.url, env: {}, retries: 3, retryBaseMs: 10, readTimeoutMs: 10_000 }, (client) =>
      Promise.all(
        wheels.map(async (wheel, i) => {
          const [file] = await client.getProject(`plain${i}`);
          expect(file.hashes.sha256).toBe(wheel.sha256);
          await client.downloadToFile(file, join(out, wheel.filename));
        }),
      ),
    );
    expect(readdirSync(out).sort()).toEqual(wheels.map((w) => w.filename).sort());
    for (const wheel of wheels) expect(readFileSync(join(out, wheel.filename)).equals(wheel.bytes)).toBe(true);
  }
  // The downloads really went through the proxy, and no resume ever asked for bytes past the end.
  expect(proxy.readLog()).toContain(`GET ${index.url.replace(/simple\/$/, "")}`);
  const log = await index.accessLog();
  expect(log.filter((line) => line.includes("/files/")).length).toBeGreaterThanOrEqual(WHEELS * ROUNDS);
  expect(log.filter((line) => / 416 /.test(line))).toEqual([]);
}, 120_000);
