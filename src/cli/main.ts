// The CLI entry: declares commands (cheap), lazy-loads their handlers, and turns errors into exit codes.
// Only this layer prints or exits; everything below reports through a Logger and throws PystoreError.

import { Command, CommanderError } from "commander";
import { EXIT, PystoreError, exitCodeFor } from "../errors.js";
import { VERSION } from "../version.js";
import { errnoOf, errorPath, fsCauseInWords } from "../util/fs-errors.js";
import type { CommandContext, GlobalOptions, Handler } from "../commands/context.js";
import { stableJson } from "../util/stable-json.js";
import { errorJson, errorText } from "./error-report.js";
import { stderrLogger } from "./stderr-logger.js";
import { registerCommands } from "./register.js";

// Each handler declares its own option shape; commander hands every one a plain object.
export type HandlerLoader = () => Promise<{ default: Handler<never> }>;

interface RunState {
  exitCode: number;
  /** The running command was given --json: a failure is reported on stdout too. */
  json: boolean;
  /** With --json, stdout is held until the command ends, so a failure can still leave one JSON document. */
  held: string;
}

/** Build the action commander calls: gathers positional args + options, then runs the lazy handler. */
function makeAction(program: Command, load: HandlerLoader, state: RunState) {
  return async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    const options = command.opts();
    const args = params.slice(0, -2).flatMap((p) => (Array.isArray(p) ? p : p === undefined ? [] : [String(p)]));
    const global = program.opts() as GlobalOptions;
    state.json = options.json === true;
    const ctx: CommandContext = {
      global,
      env: process.env,
      cwd: process.cwd(),
      log: stderrLogger({ verbose: !!global.verbose, quiet: !!global.quiet, env: process.env }),
      out: (text) => {
        const line = text.endsWith("\n") ? text : `${text}\n`;
        if (state.json) state.held += line;
        else process.stdout.write(line);
      },
      flush: () => {
        process.stdout.write(state.held);
        state.held = "";
      },
    };
    const handler = (await load()).default;
    const code = await handler(args, options as never, ctx);
    state.exitCode = typeof code === "number" ? code : EXIT.ok;
    if (state.json) process.stdout.write(sortedDocument(state.held));
    state.held = "";
  };
}

/**
 * The command a run names: its first operand, past the global options; "" when the version is asked
 * first (commander answers before any command). Undefined when there is none, or when help for the whole
 * program is asked first (which lists every command).
 */
export function commandNamed(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--" || arg === "--help" || /^-[a-zA-Z]*h/.test(arg)) return undefined;
    if (arg === "--version" || /^-[a-zA-Z]*V/.test(arg)) return "";
    if (arg === "--store") i++;
    else if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/** The program with every command, or with only the area of the command `argv` (node, script, …) names. */
export function buildProgram(state: RunState, argv?: string[]): Command {
  const program = new Command();
  program
    .name("pystore")
    .description("Reproducible, offline, content-addressed store and hermetic bundler for Python dependencies")
    .version(VERSION, "-V, --version", "print pystore's version")
    .option("-v, --verbose", "show debug details on stderr", false)
    .option("-q, --quiet", "only warnings and errors on stderr", false)
    .option("--store <dir>", "store directory (default: $PYSTORE_STORE, else $XDG_DATA_HOME/pystore)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    });
  registerCommands(program, (load) => makeAction(program, load, state), argv && commandNamed(argv.slice(2)));
  return program;
}

function report(error: unknown, state: RunState, verbose: boolean): void {
  const debug = !!process.env.PYSTORE_DEBUG;
  process.stderr.write(errorText(error, { showCode: debug || verbose, showCause: debug }));
  if (state.json) process.stdout.write(errorJson(error, state.held));
}

/**
 * A command's --json output with its keys sorted at every depth, whichever order the command built them in:
 * every command's JSON reads the same way (docs/json.md). Text that is not one JSON document passes as is.
 */
function sortedDocument(held: string): string {
  if (held.trim() === "") return held;
  try {
    return stableJson(JSON.parse(held));
  } catch {
    return held;
  }
}

/** Is `flag` among the arguments (before a `--`)? For failures commander reports before any action ran. */
function hasFlag(argv: string[], flag: string): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes(flag);
}

/** Run the CLI with a full argv (node, script, ...args). Resolves to the process exit code. */
export async function run(argv: string[]): Promise<number> {
  const state: RunState = { exitCode: EXIT.ok, json: false, held: "" };
  const program = buildProgram(state, argv);
  try {
    await program.parseAsync(argv);
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exitCode 0.
      if (error.exitCode === 0) return EXIT.ok;
      // Commander has already printed its message; a --json caller still gets the error as data.
      if (hasFlag(argv.slice(2), "--json")) {
        const message = error.message.replace(/^error: /, "");
        process.stdout.write(errorJson(new PystoreError("USAGE", message)));
      }
      return EXIT.usage;
    }
    const failure = damagedDatabase(error) ?? machineRefusal(error) ?? error;
    report(failure, state, (program.opts() as GlobalOptions).verbose === true);
    return exitCodeFor(failure);
  }
}

// What the machine refused, wherever it surfaced (Node's own module loader hits EMFILE too): its state,
// not a bug in pystore, said in words.
const MACHINE_STATE = new Set(["EMFILE", "ENFILE", "ENOSPC", "EDQUOT", "EROFS", "EIO"]);

function machineRefusal(error: unknown): PystoreError | undefined {
  if (error instanceof PystoreError) return undefined;
  const sqlite = (error as { code?: unknown } | null)?.code;
  if (sqlite === "SQLITE_FULL") {
    return new PystoreError("STORE_IO", "the store's database cannot grow: no space left on the store's filesystem (SQLITE_FULL)", {
      hint: "free some space there (or point --store elsewhere) and run the command again",
      cause: error,
    });
  }
  const errno = errnoOf(error);
  if (errno === undefined || !MACHINE_STATE.has(errno)) return undefined;
  const path = errorPath(error);
  return new PystoreError("IO", `${fsCauseInWords(error)}${path ? `: ${path}` : ""}`, {
    hint: "fix that on this machine and run the command again; nothing was left half-written",
    cause: error,
  });
}

/**
 * SQLite finding corruption after the store was opened (the open-time checks catch the rest): the same
 * typed error and recovery hint, not an internal error.
 */
function damagedDatabase(error: unknown): PystoreError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !/^SQLITE_(CORRUPT|NOTADB)/.test(code)) return undefined;
  return new PystoreError("STORE_INDEX_DAMAGED", `the store's database is damaged (${code}: ${(error as Error).message})`, {
    hint: "rebuild it from the wheel files: pystore store reindex (the damaged file is moved aside, not deleted)",
    cause: error,
    details: { reason: code },
  });
}

export { PystoreError };
