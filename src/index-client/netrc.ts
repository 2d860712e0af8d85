// The netrc format (ftp(1)/curl/Python's netrc): machine/default/login/password/account/macdef, quoted tokens, comments.
// Pure: the caller reads the file. Error messages never quote a token value (it may be a password).

import { PystoreError } from "../errors.js";

export interface NetrcEntry {
  /** undefined for the `default` entry. */
  machine?: string;
  login?: string;
  password?: string;
  account?: string;
}

export interface Netrc {
  entries: NetrcEntry[];
  macros: Record<string, string>;
}

interface Token {
  value: string;
  line: number;
}

class Lexer {
  private pos = 0;
  private line = 1;
  constructor(private readonly text: string) {}

  /** Next token, skipping whitespace and `#` comments; undefined at the end. */
  next(): Token | undefined {
    const t = this.text;
    for (;;) {
      while (this.pos < t.length && /\s/.test(t[this.pos])) {
        if (t[this.pos] === "\n") this.line++;
        this.pos++;
      }
      if (this.pos >= t.length) return undefined;
      if (t[this.pos] !== "#") break;
      while (this.pos < t.length && t[this.pos] !== "\n") this.pos++;
    }
    const line = this.line;
    let value = "";
    if (t[this.pos] === '"') {
      this.pos++;
      for (;;) {
        if (this.pos >= t.length) return { value, line };
        const c = t[this.pos++];
        if (c === '"') break;
        if (c === "\\" && this.pos < t.length) value += t[this.pos++];
        else {
          if (c === "\n") this.line++;
          value += c;
        }
      }
      return { value, line };
    }
    while (this.pos < t.length && !/\s/.test(t[this.pos])) {
      const c = t[this.pos++];
      if (c === "\\" && this.pos < t.length) value += t[this.pos++];
      else value += c;
    }
    return { value, line };
  }

  /** The macro body: the lines after the current one, up to the first empty line. */
  macroBody(): string {
    const t = this.text;
    const eol = t.indexOf("\n", this.pos);
    if (eol === -1) {
      this.pos = t.length;
      return "";
    }
    this.pos = eol + 1;
    this.line++;
    const lines: string[] = [];
    while (this.pos < t.length) {
      const end = t.indexOf("\n", this.pos);
      const lineText = end === -1 ? t.slice(this.pos) : t.slice(this.pos, end);
      this.pos = end === -1 ? t.length : end + 1;
      this.line++;
      if (lineText.trim() === "") break;
      lines.push(lineText);
    }
    return lines.map((l) => `${l}\n`).join("");
  }
}

export function parseNetrc(text: string, source = "netrc"): Netrc {
  const lexer = new Lexer(text);
  const entries: NetrcEntry[] = [];
  const macros: Record<string, string> = {};
  let current: NetrcEntry | undefined;
  const fail = (line: number, problem: string) =>
    new PystoreError("INVALID_NETRC", `${source}:${line}: ${problem}`, {
      hint: "see `man netrc`: machine NAME login USER password SECRET",
    });

  for (let token = lexer.next(); token; token = lexer.next()) {
    const keyword = token.value;
    switch (keyword) {
      case "machine": {
        const name = lexer.next();
        if (!name) throw fail(token.line, '"machine" without a host name');
        current = { machine: name.value };
        entries.push(current);
        break;
      }
      case "default":
        current = {};
        entries.push(current);
        break;
      case "login":
      case "password":
      case "account":
      case "user": {
        if (!current) throw fail(token.line, `"${keyword}" before any "machine" or "default"`);
        const value = lexer.next();
        if (!value) throw fail(token.line, `"${keyword}" without a value`);
        const key = keyword === "user" ? "login" : keyword;
        current[key] = value.value;
        break;
      }
      case "macdef": {
        const name = lexer.next();
        if (!name) throw fail(token.line, '"macdef" without a macro name');
        macros[name.value] = lexer.macroBody();
        // A macro ends the entry it appeared in: tokens after it start over.
        current = undefined;
        break;
      }
      default:
        throw fail(token.line, `unexpected token (expected machine, default, login, password, account or macdef)`);
    }
  }
  return { entries, macros };
}

/** The entry for `host`: the first matching `machine`, else `default`. */
export function netrcLookup(netrc: Netrc, host: string): NetrcEntry | undefined {
  const wanted = host.toLowerCase();
  return (
    netrc.entries.find((e) => e.machine !== undefined && e.machine.toLowerCase() === wanted) ??
    netrc.entries.find((e) => e.machine === undefined)
  );
}
