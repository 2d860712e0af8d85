// `pystore completion bash|zsh|fish`: the scripts come from the CLI definitions, and each one is run
// by its real shell to complete commands, subcommands, options and option values.

import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../src/errors.js";
import { runCli } from "../helpers/cli.js";

let dir: string;
const scripts: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pystore-completion-"));
  for (const shell of ["bash", "zsh", "fish"]) {
    const r = await runCli(["completion", shell]);
    expect(r.code, r.stderr).toBe(0);
    scripts[shell] = join(dir, `pystore.${shell}`);
    await writeFile(scripts[shell], r.stdout);
  }
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function run(shell: string, args: string[], input?: string): string {
  const r = spawnSync(shell, args, { input, encoding: "utf8", timeout: 20_000 });
  expect(r.status, `${shell}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe("bash", () => {
  const complete = (...words: string[]) =>
    run("bash", [
      "-c",
      `source ${scripts.bash}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _pystore; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ])
      .split("\n")
      .filter(Boolean);

  it("is valid bash", () => {
    run("bash", ["-n", scripts.bash]);
  });

  it("completes commands, subcommands and options after global flags and option values", () => {
    expect(complete("pystore", "st")).toEqual(["store"]);
    expect(complete("pystore", "store", "g")).toEqual(["gc"]);
    expect(complete("pystore", "--store", "/tmp/s", "store", "ver")).toEqual(["verify"]);
    expect(complete("pystore", "bundle", "--platform", "win_a")).toEqual(["win_amd64", "win_arm64"]);
    expect(complete("pystore", "bundle", "--format", "")).toEqual(["dir", "tar.gz", "pyz", "oci"]);
    expect(complete("pystore", "lock", "--up")).toEqual(["--upgrade", "--upgrade-package"]);
    // bundle's default subcommand (build) lends its options to `bundle`.
    expect(complete("pystore", "bundle", "--sys")).toEqual(["--systemd"]);
  });

  it("leaves free values (paths) to the shell's own completion", () => {
    expect(complete("pystore", "bundle", "-o", "")).toEqual([]);
  });
});

describe("zsh", () => {
  it("is valid zsh and completes through _describe and compadd", () => {
    run("zsh", ["-n", scripts.zsh]);
    const out = run("zsh", ["-f", join(import.meta.dirname, "zsh-completion-harness.zsh"), scripts.zsh]).split("\n");
    expect(out).toContain("gc:delete stored wheels no live root (lock, bundle, fetch) reaches");
    expect(out).toContain("compadd -- dir tar.gz pyz oci");
    expect(out).toContain("_files");
  });
});

describe("fish", () => {
  it("is valid fish and completes with descriptions", () => {
    run("fish", ["-n", scripts.fish]);
    const out = run("fish", [
      "--no-config",
      "-c",
      `source ${scripts.fish}; complete -C 'pystore store g'; complete -C 'pystore bundle --format '`,
    ]);
    expect(out).toContain("gc\tdelete stored wheels");
    expect(out.split("\n").filter((l) => /^(dir|pyz|tar\.gz|oci)\t/.test(l))).toHaveLength(4);
  });
});

it("refuses an unknown shell", async () => {
  const r = await runCli(["completion", "powershell"]);
  expect(r.code).toBe(EXIT.usage);
  expect(r.stderr).toContain("bash, zsh and fish");
});
