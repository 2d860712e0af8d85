// A position-tracking scanner shared by the PEP 508 requirement and marker parsers
// (packaging.python.org "Dependency specifiers"); errors draw a caret under the bad column.
import { PystoreError, caretMessage, type ErrorCode } from "../../errors.js";

export class Scanner {
  pos = 0;
  constructor(
    readonly input: string,
    readonly code: ErrorCode,
  ) {}

  get done(): boolean {
    return this.pos >= this.input.length;
  }

  /** Skips spaces and tabs (the grammar's `wsp`); returns whether any were skipped. */
  ws(): boolean {
    const start = this.pos;
    while (this.pos < this.input.length && (this.input[this.pos] === " " || this.input[this.pos] === "\t")) this.pos++;
    return this.pos > start;
  }

  /** Matches a sticky regex at the current position without consuming. */
  peek(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.pos;
    return re.exec(this.input);
  }

  /** Consumes and returns a sticky regex match at the current position. */
  take(re: RegExp): RegExpExecArray | null {
    const m = this.peek(re);
    if (m) this.pos += m[0].length;
    return m;
  }

  takeChar(ch: string): boolean {
    if (this.input[this.pos] === ch) {
      this.pos++;
      return true;
    }
    return false;
  }

  fail(summary: string, start = this.pos, length = 1): never {
    const what = this.code === "INVALID_MARKER" ? "marker" : "requirement";
    throw new PystoreError(
      this.code,
      caretMessage(`Invalid ${what} ${JSON.stringify(this.input)}: ${summary}`, this.input, start, length),
      {
        details: { input: this.input, column: start },
      },
    );
  }
}
