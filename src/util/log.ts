// The logging seam: library code reports through a Logger it is given; only the CLI writes to stderr.

export interface Logger {
  /** Progress and normal information (suppressed by --quiet). */
  info(message: string): void;
  /** Something the user should know about that did not stop the work. */
  warn(message: string): void;
  /** Details shown only with --verbose. Never pass credentials: redact URLs first. */
  debug(message: string): void;
}

/** A logger that drops everything (library default, and tests that do not look at logs). */
export const silentLogger: Logger = { info() {}, warn() {}, debug() {} };

/** A logger that keeps every line, for tests that assert on what was reported. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    debug: (m) => lines.push(`debug: ${m}`),
  };
}
