// The CLI entry: declares commands (cheap), lazy-loads their handlers, and turns errors into exit codes.
// Only this layer prints or exits; everything below reports through a Logger and throws PystoreError.

import { Command, CommanderError } from "commander";
import { EXIT, PystoreError, exitCodeFor } from "../errors.js";
import { VERSION } from "../version.js";
import type { CommandContext, GlobalOptions, Handler } from "../commands/context.js";
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
    };
    const handler = (await load()).default;
    const code = await handler(args, options as never, ctx);
    state.exitCode = typeof code === "number" ? code : EXIT.ok;
    if (state.json) process.stdout.write(state.held);
    state.held = "";
  };
}

export function buildProgram(state: RunState): Command {
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
  registerCommands(program, (load) => makeAction(program, load, state));
  return program;
}

function report(error: unknown, state: RunState, verbose: boolean): void {
  const debug = !!process.env.PYSTORE_DEBUG;
  process.stderr.write(errorText(error, { showCode: debug || verbose, showCause: debug }));
  if (state.json) process.stdout.write(errorJson(error, state.held));
}

/** Is `flag` among the arguments (before a `--`)? For failures commander reports before any action ran. */
function hasFlag(argv: string[], flag: string): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes(flag);
}

/** Run the CLI with a full argv (node, script, ...args). Resolves to the process exit code. */
export async function run(argv: string[]): Promise<number> {
  const state: RunState = { exitCode: EXIT.ok, json: false, held: "" };
  const program = buildProgram(state);
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
    report(error, state, (program.opts() as GlobalOptions).verbose === true);
    return exitCodeFor(error);
  }
}

export { PystoreError };
