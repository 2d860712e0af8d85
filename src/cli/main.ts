// The CLI entry: declares commands (cheap), lazy-loads their handlers, and turns errors into exit codes.
// Only this layer prints or exits; everything below reports through a Logger and throws PystoreError.

import { Command, CommanderError } from "commander";
import { EXIT, PystoreError, exitCodeFor, isPystoreError } from "../errors.js";
import { redactText } from "../util/redact.js";
import { VERSION } from "../version.js";
import type { CommandContext, GlobalOptions, Handler } from "../commands/context.js";
import { stderrLogger } from "./stderr-logger.js";
import { registerCommands } from "./register.js";

// Each handler declares its own option shape; commander hands every one a plain object.
export type HandlerLoader = () => Promise<{ default: Handler<never> }>;

/** Build the action commander calls: gathers positional args + options, then runs the lazy handler. */
function makeAction(program: Command, load: HandlerLoader, state: { exitCode: number }) {
  return async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    const options = command.opts();
    const args = params.slice(0, -2).flatMap((p) => (Array.isArray(p) ? p : p === undefined ? [] : [String(p)]));
    const global = program.opts() as GlobalOptions;
    const ctx: CommandContext = {
      global,
      env: process.env,
      cwd: process.cwd(),
      log: stderrLogger({ verbose: !!global.verbose, quiet: !!global.quiet, env: process.env }),
      out: (text) => {
        process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
      },
    };
    const handler = (await load()).default;
    const code = await handler(args, options as never, ctx);
    state.exitCode = typeof code === "number" ? code : EXIT.ok;
  };
}

export function buildProgram(state: { exitCode: number }): Command {
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

function report(error: unknown): void {
  if (isPystoreError(error)) {
    process.stderr.write(redactText(`error: ${error.message}\n`));
    if (error.hint) process.stderr.write(redactText(`hint: ${error.hint}\n`));
    if (process.env.PYSTORE_DEBUG && error.cause) process.stderr.write(redactText(`cause: ${String(error.cause)}\n`));
    return;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(redactText(`error: internal error (this is a bug in pystore)\n${detail}\n`));
}

/** Run the CLI with a full argv (node, script, ...args). Resolves to the process exit code. */
export async function run(argv: string[]): Promise<number> {
  const state = { exitCode: EXIT.ok };
  const program = buildProgram(state);
  try {
    await program.parseAsync(argv);
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exitCode 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    report(error);
    return exitCodeFor(error);
  }
}

export { PystoreError };
