// A run that names a command declares only that command's area (src/cli/register.ts): every command
// must still be reachable by name, with the same definition, and help for the whole program (or a name
// pystore does not know) must still see every command.

import { describe, expect, it } from "vitest";
import { buildProgram, commandNamed } from "../../src/cli/main.js";
import { commandReference } from "../../src/cli/reference.js";
import { runCli } from "../helpers/cli.js";

const state = () => ({ exitCode: 0, json: false, held: "" });
const names = (argv?: string[]) => buildProgram(state(), argv).commands.map((c) => c.name());
const ALL = names();

describe("registering only the named command's area", () => {
  it.each(ALL)("declares %s when a run names it, as the full program does", (name) => {
    const program = buildProgram(state(), ["node", "pystore", name]);
    const command = program.commands.find((c) => c.name() === name);
    expect(command, `${name} is not declared when named`).toBeDefined();
    const full = buildProgram(state()).commands.find((c) => c.name() === name)!;
    const text = commandReference(wrap(command!));
    expect(text).toContain(`## pystore ${name}`);
    expect(text).toBe(commandReference(wrap(full)));
  });

  it("leaves the other areas out for the hot commands", () => {
    for (const name of ["lock", "fetch", "bundle", "store"]) {
      const declared = names(["node", "pystore", name]);
      expect(declared).toContain(name);
      expect(declared.length).toBeLessThan(ALL.length);
    }
  });

  it("declares everything for help, completion and names it does not know", () => {
    for (const args of [
      [],
      ["--help"],
      ["-h", "lock"],
      ["-vh", "lock"],
      ["help", "lock"],
      ["completion", "bash"],
      ["lokc"],
      ["--", "lock"],
    ]) {
      expect(names(["node", "pystore", ...args]), args.join(" ")).toEqual(ALL);
    }
  });

  it("finds the command past the global options", () => {
    expect(commandNamed(["-v", "lock"])).toBe("lock");
    expect(commandNamed(["--store", "fetch", "lock", "--json"])).toBe("lock");
    expect(commandNamed(["--store=/s", "-q", "bundle", "verify", "x"])).toBe("bundle");
    expect(commandNamed(["--verbose"])).toBeUndefined();
    expect(commandNamed(["--help", "lock"])).toBeUndefined();
    expect(commandNamed(["-V"])).toBe("");
    expect(commandNamed(["-v", "--version", "lock"])).toBe("");
  });

  it("answers --version without declaring any command", async () => {
    expect(names(["node", "pystore", "--version"])).toEqual([]);
    const r = await runCli(["--version"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("still suggests the closest command for a misspelt one", async () => {
    const r = await runCli(["lokc"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/did you mean.*lock/i);
  });

  it("prints every command in the program's help, whatever follows", async () => {
    const r = await runCli(["--help", "lock"]);
    expect(r.code, r.stderr).toBe(0);
    for (const name of ALL) expect(r.stdout).toContain(name);
  });
});

/** The reference text of one command, as docs/commands.md prints it. */
function wrap(command: ReturnType<typeof buildProgram>["commands"][number]) {
  const parent = buildProgram(state(), ["node", "pystore", "--", "none"]);
  parent.commands.splice(0, parent.commands.length, command);
  return parent;
}
