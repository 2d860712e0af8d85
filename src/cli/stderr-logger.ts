// The CLI's logger: everything goes to stderr; --quiet keeps only warnings, --verbose adds debug lines.
// On a terminal, progress is one line redrawn in place (other lines are printed above it); elsewhere each
// step is a line of its own, as a CI log wants.

import type { Logger } from "../util/log.js";
import { type ProgressLogger, type ProgressState, type ProgressTask, type ProgressTotal, progressLine } from "../util/progress.js";
import { redactText } from "../util/redact.js";

export interface StderrStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

// A redraw at most this often: progress costs no noticeable time even for thousands of small items.
const REDRAW_MS = 100;

export function stderrLogger(options: {
  verbose: boolean;
  quiet: boolean;
  env: NodeJS.ProcessEnv;
  stream?: StderrStream;
  now?: () => number;
}): Logger | ProgressLogger {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const tty = stream.isTTY === true;
  const color = !options.env.NO_COLOR && tty;
  const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  let drawn: ProgressState | undefined;
  let drawnAt = 0;
  const clear = () => {
    if (drawn) stream.write("\r\x1b[2K");
  };
  const draw = (state: ProgressState) => {
    stream.write(`\r\x1b[2K${redactText(progressLine(state, Math.max(20, (stream.columns ?? 80) - 1)))}`);
    drawnAt = now();
  };
  // Redact once more at the edge: a credential must never reach the terminal or a CI log.
  const write = (line: string) => {
    clear();
    stream.write(`${redactText(line)}\n`);
    if (drawn) draw(drawn);
  };
  const logger: Logger = {
    info: (m) => {
      if (!options.quiet) write(m);
    },
    warn: (m) => write(`${paint("33", "warning")}: ${m}`),
    debug: (m) => {
      if (options.verbose) write(paint("2", `debug: ${m}`));
    },
  };
  // Drawing needs a terminal, and --quiet asks for no progress at all.
  if (!tty || options.quiet) return logger;
  return {
    ...logger,
    progress(title: string, total: ProgressTotal): ProgressTask {
      const started = now();
      const state: ProgressState = { title, total, items: 0, bytes: 0, elapsedMs: 0 };
      drawn = state;
      draw(state);
      return {
        advance(item, bytes = 0) {
          state.items++;
          state.bytes += bytes;
          state.last = item;
          state.elapsedMs = now() - started;
          if (now() - drawnAt >= REDRAW_MS || state.items === total.items) draw(state);
        },
        done(summary) {
          // Idempotent: callers also end a step in `finally` blocks.
          if (drawn === state) {
            clear();
            drawn = undefined;
          }
          if (summary) logger.info(summary);
        },
      };
    },
  };
}
