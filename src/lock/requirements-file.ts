// pip's requirements-file format as lock input: nested -r/-c, extras, markers, `name @ url`,
// --index-url/--extra-index-url/--find-links/--pre lines, comments, line continuations, ${VAR}.

import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { PystoreError } from "../errors.js";
import { parseRequirement, type Requirement } from "../standards/pep508.js";

export interface SourcedRequirement {
  requirement: Requirement;
  /** "path:line" of the line it came from. */
  source: string;
}

export interface RequirementsFile {
  requirements: SourcedRequirement[];
  constraints: SourcedRequirement[];
  indexUrl?: string;
  extraIndexUrls: string[];
  findLinks: string[];
  noIndex: boolean;
  prerelease: boolean;
}

export function emptyRequirementsFile(): RequirementsFile {
  return { requirements: [], constraints: [], extraIndexUrls: [], findLinks: [], noIndex: false, prerelease: false };
}

function fail(where: string, message: string, hint?: string): never {
  throw new PystoreError("INVALID_REQUIREMENTS_FILE", `${where}: ${message}`, { hint });
}

/** Logical lines: continuation backslashes joined, comments removed; each keeps its first physical line number. */
export function logicalLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const physical = text.split(/\r?\n/);
  let current = "";
  let start = 0;
  physical.forEach((raw, i) => {
    if (current === "") start = i + 1;
    // pip drops a comment that starts a line or follows whitespace; "#" inside a URL fragment stays.
    const stripped = raw.replace(/(^|\s)#.*$/, "");
    if (/\\$/.test(stripped) && i < physical.length - 1) {
      current += stripped.slice(0, -1);
      return;
    }
    current += stripped;
    if (current.trim() !== "") out.push({ line: start, text: current.trim() });
    current = "";
  });
  if (current.trim() !== "") out.push({ line: start, text: current.trim() });
  return out;
}

function expandVars(text: string, env: NodeJS.ProcessEnv, where: string): string {
  return text.replace(/\$\{([A-Z0-9_]+)\}/g, (_m, name: string) => {
    const value = env[name];
    if (value === undefined) fail(where, `environment variable \${${name}} is not set`);
    return value;
  });
}

const OPTION =
  /^(-r|--requirement|-c|--constraint|-i|--index-url|--extra-index-url|-f|--find-links)(?:\s*=\s*|\s+)(.+)$|^(-r|-c|-i|-f)(\S.*)$/;

function isLocalPath(location: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(location);
}

export interface ReadOptions {
  env?: NodeJS.ProcessEnv;
  /** Resolve find-links paths to absolute ones (default: keep them relative to `baseDir`). */
  baseDir?: string;
}

/** Read a requirements file and everything it includes. Paths in it are relative to the file. */
export async function readRequirementsFile(
  path: string,
  opts: ReadOptions = {},
  into = emptyRequirementsFile(),
  asConstraint = false,
  stack: string[] = [],
): Promise<RequirementsFile> {
  const full = resolve(path);
  if (stack.includes(full)) fail(stack[stack.length - 1] ?? path, `includes itself through ${[...stack, full].join(" -> ")}`);
  let text: string;
  try {
    text = await readFile(full, "utf8");
  } catch (error) {
    const where = stack.length ? `${stack[stack.length - 1]}` : path;
    throw new PystoreError(
      "FILE_NOT_FOUND",
      `${where}: cannot read requirements file ${JSON.stringify(path)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { cause: error },
    );
  }
  const env = opts.env ?? process.env;
  const dir = dirname(full);
  const display = (p: string) => (opts.baseDir ? relativeOrAbsolute(opts.baseDir, p) : p);
  for (const { line, text: raw } of logicalLines(text)) {
    const where = `${display(full)}:${line}`;
    const lineText = expandVars(raw, env, where);
    if (lineText.startsWith("-")) {
      if (lineText === "--pre") {
        into.prerelease = true;
        continue;
      }
      if (lineText === "--no-index") {
        into.noIndex = true;
        continue;
      }
      const m = OPTION.exec(lineText);
      if (!m)
        fail(
          where,
          `unsupported option line ${JSON.stringify(lineText)}`,
          lineText.startsWith("-e") || lineText.startsWith("--editable")
            ? "editable installs are not lockable: pystore locks wheels only"
            : undefined,
        );
      const option = m[1] ?? m[3];
      const value = (m[2] ?? m[4]).trim();
      switch (option) {
        case "-r":
        case "--requirement":
          await readRequirementsFile(resolve(dir, value), opts, into, asConstraint, [...stack, full]);
          break;
        case "-c":
        case "--constraint":
          await readRequirementsFile(resolve(dir, value), opts, into, true, [...stack, full]);
          break;
        case "-i":
        case "--index-url":
          into.indexUrl = value;
          break;
        case "--extra-index-url":
          if (!into.extraIndexUrls.includes(value)) into.extraIndexUrls.push(value);
          break;
        default: {
          const location = isLocalPath(value) && !isAbsolute(value) ? display(resolve(dir, value)) : value;
          if (!into.findLinks.includes(location)) into.findLinks.push(location);
        }
      }
      continue;
    }
    // Per-requirement options (--hash=…) only matter to pip's own installs; the lock records hashes itself.
    const reqText = lineText.replace(/\s+--hash[= ]\S+/g, "").trim();
    if (/^(\.|\/|[a-z][a-z0-9+.-]*:\/\/)/i.test(reqText)) {
      fail(where, `a bare path or URL (${JSON.stringify(reqText)}) has no name`, "write it as `name @ url`");
    }
    let requirement: Requirement;
    try {
      requirement = parseRequirement(reqText);
    } catch (error) {
      throw new PystoreError("INVALID_REQUIREMENTS_FILE", `${where}: ${(error as Error).message}`, { cause: error });
    }
    (asConstraint ? into.constraints : into.requirements).push({ requirement, source: where });
  }
  return into;
}

function relativeOrAbsolute(base: string, path: string): string {
  const rel = path.startsWith(`${base}/`) ? path.slice(base.length + 1) : path;
  return rel;
}
