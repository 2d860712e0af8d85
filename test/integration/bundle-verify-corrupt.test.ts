// `bundle verify` on damaged archives: one flipped byte anywhere in a tar.gz or a .pyz (gzip header,
// deflate data, a tar header, the trailer) ends in a typed error or a report of changes, and the process
// exits within a bounded time, never spinning after its error was printed.

import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockFor, writeTree } from "../../fixtures/projects.js";
import { buildWheel } from "../../fixtures/wheels.js";
import { EXIT } from "../../src/errors.js";
import { tempDir } from "../bundle/helpers.js";
import { runCli } from "../helpers/cli.js";

const TARGET = ["--platform", "manylinux_x86_64", "--python", "3.11"];
let work: { path: string; cleanup: () => Promise<void> };
const archives: Record<string, Buffer> = {};

const cli = (args: string[]) =>
  runCli(args, { cwd: work.path, env: { PYSTORE_STORE: join(work.path, "store"), SOURCE_DATE_EPOCH: "0" }, timeoutMs: 30_000 });

beforeAll(async () => {
  work = await tempDir("verify-corrupt");
  const files: Record<string, string> = { "damaged/__init__.py": "X = 1\n" };
  for (let i = 0; i < 40; i++) files[`damaged/mod${i}.py`] = `# module ${i}\n${"VALUE = 'text'\n".repeat(200 + i)}`;
  const wheel = await buildWheel({ name: "damaged", version: "1.0", files }, join(work.path, "wheels"));
  await writeTree(work.path, { "pylock.toml": lockFor([{ wheel, path: join("wheels", wheel.filename) }]) });
  for (const name of ["bundle.tar.gz", "bundle.pyz"]) {
    const built = await cli(["bundle", "-l", "pylock.toml", ...TARGET, "-o", name]);
    expect(built.stderr).not.toMatch(/error/);
    expect(built.code).toBe(0);
    archives[name] = await readFile(join(work.path, name));
  }
}, 120_000);
afterAll(() => work.cleanup());

/** Byte positions spread over the whole archive, the first and last bytes included. */
const positions = (size: number) => [
  0,
  3,
  10,
  100,
  600,
  1100,
  ...[0.1, 0.3, 0.5, 0.7, 0.9].map((f) => Math.floor(size * f)),
  size - 20,
  size - 1,
];

describe("bundle verify on a flipped byte", () => {
  for (const name of ["bundle.tar.gz", "bundle.pyz"]) {
    it(`${name}: every position ends in a typed error or a change report, promptly`, async () => {
      const original = archives[name];
      const outcomes = new Set<number>();
      for (const position of positions(original.length)) {
        const damaged = Buffer.from(original);
        damaged[position] ^= 0x01;
        const path = join(work.path, `damaged-${position}-${name}`);
        await writeFile(path, damaged);
        const started = Date.now();
        const run = await cli(["bundle", "verify", path]);
        // runCli kills after 30 s (exit 128): a spinning process fails here.
        expect(run.code, `flip at ${position}: ${run.stderr}`).not.toBe(128);
        expect(Date.now() - started).toBeLessThan(30_000);
        expect(run.stderr, `flip at ${position}`).not.toMatch(/internal error/);
        // Clean (a flip in a gzip field that carries no content, e.g. its mtime), changed, or not a bundle any more.
        expect([EXIT.ok, EXIT.checkFailed, EXIT.invalidInput, EXIT.integrity], `flip at ${position}: ${run.stderr}`).toContain(run.code);
        outcomes.add(run.code);
      }
      // A flip is noticed: at least the deflate-data flips are reported, none passes silently as clean.
      expect([...outcomes].some((code) => code !== EXIT.ok)).toBe(true);
    }, 300_000);
  }
});
