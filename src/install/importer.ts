// Putting store files into a bundle (pnpm's importer pattern): hardlink when on the same filesystem,
// else a reflink clone, else a copy; probed once per bundle, remembered, and downgraded on EXDEV.

import { chmodSync, constants, copyFileSync, linkSync } from "node:fs";
import { PystoreError } from "../errors.js";
import type { Logger } from "../util/log.js";

export type LinkMode = "hardlink" | "clone" | "copy";
/** link(2) as the importer calls it: replaced in tests to inject EMLINK and the like. */
export type LinkFn = (existing: string, created: string) => void;
const LINK_MODES: LinkMode[] = ["hardlink", "clone", "copy"];

/** PYSTORE_LINK_MODE, validated; undefined lets the importer probe. */
export function linkModeFromEnv(env: NodeJS.ProcessEnv): LinkMode | undefined {
  const value = env.PYSTORE_LINK_MODE;
  if (value === undefined || value === "") return undefined;
  if (!(LINK_MODES as string[]).includes(value)) {
    throw new PystoreError("USAGE", `PYSTORE_LINK_MODE=${JSON.stringify(value)} is not a link mode`, {
      hint: `use one of: ${LINK_MODES.join(", ")}`,
    });
  }
  return value as LinkMode;
}

/** Errors that mean "this way of importing cannot work here", as opposed to a real I/O failure. */
const UNSUPPORTED = new Set(["EXDEV", "ENOTSUP", "EOPNOTSUPP", "EINVAL", "ENOSYS", "EPERM", "EMLINK", "EACCES"]);

export class FileImporter {
  /** What works, once the first file was imported. */
  mode: LinkMode | undefined;
  private readonly order: LinkMode[];
  /** A file went in already: a mode failing after that is news (a probe failing is not). */
  private imported = false;

  /** `preferred` (flag or PYSTORE_LINK_MODE) is tried first; a forced mode that fails still falls back. */
  constructor(
    private readonly log: Logger,
    preferred?: LinkMode,
    private readonly link: LinkFn = linkSync,
  ) {
    // A copy of its own: falling back splices it, and must not change what later importers start from.
    this.order = LINK_MODES.slice(preferred ? LINK_MODES.indexOf(preferred) : 0);
  }

  /**
   * Create `destination` (which must not exist) with `source`'s bytes. Linked files share the store's
   * read-only mode; copies get `mode`, since they belong to the bundle alone.
   */
  importFile(source: string, destination: string, mode: 0o644 | 0o755): void {
    for (;;) {
      const mode0 = this.mode ?? this.order[0];
      try {
        importWith(mode0, source, destination, mode, this.link);
        this.mode = mode0;
        this.imported = true;
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "";
        const next = this.order[this.order.indexOf(mode0) + 1];
        if (!isUnsupported(error) || next === undefined) throw error;
        if (code === "EMLINK") {
          // This one inode is at the filesystem's link limit (a file many trees and bundles share): it alone
          // is cloned or copied; hardlinking still works for every other file.
          this.log.debug(`${source} has as many links as the filesystem allows; copying it`);
          this.importAlone(source, destination, mode, this.order.slice(this.order.indexOf(next)));
          return;
        }
        // Probing (no mode yet) is silent; losing a mode that worked (EXDEV mid-bundle) is worth one warning.
        if (this.imported) this.log.warn(`cannot ${mode0} ${source} into the bundle (${code}); using ${next} from now on`);
        else this.log.debug(`${mode0} is not possible here (${code}); trying ${next}`);
        this.mode = next;
        this.order.splice(0, this.order.indexOf(next));
      }
    }
  }

  /** One file the mode in use cannot take, put in by the first of `modes` that works for it. */
  private importAlone(source: string, destination: string, mode: 0o644 | 0o755, modes: LinkMode[]): void {
    for (const [i, how] of modes.entries()) {
      try {
        return importWith(how, source, destination, mode);
      } catch (error) {
        if (!isUnsupported(error) || i === modes.length - 1) throw error;
      }
    }
  }
}

/** True when `error` says a link mode cannot work here (the importer then falls back), not an I/O failure. */
export function isUnsupported(error: unknown): boolean {
  return UNSUPPORTED.has((error as NodeJS.ErrnoException)?.code ?? "");
}

/** One file in by one mode, no fallback (FileImporter probes and falls back; threads that link call this). */
export function importWith(how: LinkMode, source: string, destination: string, mode: 0o644 | 0o755, link: LinkFn = linkSync): void {
  if (how === "hardlink") return link(source, destination);
  copyFileSync(source, destination, constants.COPYFILE_EXCL | (how === "clone" ? constants.COPYFILE_FICLONE_FORCE : 0));
  chmodSync(destination, mode);
}
