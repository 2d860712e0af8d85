// The CLI's logger: everything goes to stderr; --quiet keeps only warnings, --verbose adds debug lines.

import type { Logger } from "../util/log.js";
import { redactText } from "../util/redact.js";

export function stderrLogger(options: { verbose: boolean; quiet: boolean; env: NodeJS.ProcessEnv }): Logger {
  const color = !options.env.NO_COLOR && process.stderr.isTTY === true;
  const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  // Redact once more at the edge: a credential must never reach the terminal or a CI log.
  const write = (line: string) => process.stderr.write(`${redactText(line)}\n`);
  return {
    info: (m) => {
      if (!options.quiet) write(m);
    },
    warn: (m) => write(`${paint("33", "warning")}: ${m}`),
    debug: (m) => {
      if (options.verbose) write(paint("2", `debug: ${m}`));
    },
  };
}
