// `pystore fetch` argument checking and network-failure hints, through the built CLI.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../src/errors.js";
import { runCli } from "../helpers/cli.js";

let work: string;
let lockPath: string;
let deadPort: number;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pystore-fetch-args-"));
  // A port that was just free: connecting to it is refused.
  deadPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  lockPath = join(work, "pylock.toml");
  const sha = "a".repeat(64);
  await writeFile(
    lockPath,
    `lock-version = "1.0"\ncreated-by = "test"\n\n[[packages]]\nname = "alpha"\nversion = "1.0"\nwheels = [{ name = "alpha-1.0-py3-none-any.whl", url = "http://127.0.0.1:${deadPort}/files/alpha-1.0-py3-none-any.whl", hashes = { sha256 = "${sha}" } }]\n`,
  );
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const env = () => ({ PYSTORE_STORE: join(work, "store") });

describe("fetch arguments", () => {
  it.each(["abc", "0", "-3", "1.5"])("-j %s is a usage error naming the value", async (value) => {
    const r = await runCli(["fetch", "-l", lockPath, `--jobs=${value}`], { env: env() });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain(`"${value}"`);
  });

  it.each([["--find-links", "./x"], ["--no-index"], ["--index-strategy", "unsafe-best-match"]])("does not offer %s", async (...flag) => {
    const r = await runCli(["fetch", "-l", lockPath, ...flag], { env: env() });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain(flag[0]);
  });

  it("a missing lock is FILE_NOT_FOUND with a hint", async () => {
    const r = await runCli(["fetch", "-l", join(work, "nope.toml")], { env: env() });
    expect(r.code).toBe(EXIT.invalidInput);
    expect(r.stderr).toContain("nope.toml");
    expect(r.stderr).toContain("run pystore lock first");
  });

  it("a refused connection names the URL and hints at the index URL, proxy variables and --offline", async () => {
    const r = await runCli(["fetch", "-l", lockPath, "--retries", "0"], { env: env() });
    expect(r.code).toBe(EXIT.network);
    expect(r.stderr).toContain(`127.0.0.1:${deadPort}`);
    expect(r.stderr).toContain("ECONNREFUSED");
    expect(r.stderr).toMatch(/hint: .*index URL.*proxy.*--offline.*--no-index --find-links/);
    expect(r.stderr).toContain("fetching the 1 locked wheel");
  });
});
