// The CLI shell through the built binary: --version, --help listing the commands, exit 2 on unknown commands/options.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

describe("pystore CLI shell", () => {
  it("prints its version", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    const result = await runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it("lists its commands in --help", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: pystore/);
    expect(result.stdout).toMatch(/\btags\b/);
  });

  it("exits 2 on an unknown command, saying so on stderr", async () => {
    const result = await runCli(["no-such-command"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/unknown command 'no-such-command'/);
  });

  it("exits 2 on an unknown option", async () => {
    const result = await runCli(["tags", "--no-such-option"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown option '--no-such-option'/);
  });
});
