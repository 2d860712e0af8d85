// Putting store files into a bundle (pnpm's importer pattern): hardlink when on the same filesystem,
// else a reflink clone, else a copy; probed once per bundle, remembered, and downgraded on EXDEV.

import { chmodSync, constants, copyFileSync, linkSync } from "node:fs";
import { PystoreError } from "../errors.js";
import type { Logger } from "../util/log.js";

export type LinkMode = "hardlink" | "clone" | "copy";
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
  ) {
    this.order = preferred ? LINK_MODES.slice(LINK_MODES.indexOf(preferred)) : LINK_MODES;
  }

  /**
   * Create `destination` (which must not exist) with `source`'s bytes. Linked files share the store's
   * read-only mode; copies get `mode`, since they belong to the bundle alone.
   */
  importFile(source: string, destination: string, mode: 0o644 | 0o755): void {
    for (;;) {
      const mode0 = this.mode ?? this.order[0];
      try {
        importWith(mode0, source, destination, mode);
        this.mode = mode0;
        this.imported = true;
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "";
        const next = this.order[this.order.indexOf(mode0) + 1];
        if (!isUnsupported(error) || next === undefined) throw error;
        // Probing (no mode yet) is silent; losing a mode that worked (EXDEV mid-bundle) is worth one warning.
        if (this.imported) this.log.warn(`cannot ${mode0} ${source} into the bundle (${code}); using ${next} from now on`);
        else this.log.debug(`${mode0} is not possible here (${code}); trying ${next}`);
        this.mode = next;
        this.order.splice(0, this.order.indexOf(next));
      }
    }
  }
}

/** True when `error` says a link mode cannot work here (the importer then falls back), not an I/O failure. */
export function isUnsupported(error: unknown): boolean {
  return UNSUPPORTED.has((error as NodeJS.ErrnoException)?.code ?? "");
}

/** One file in by one mode, no fallback (FileImporter probes and falls back; threads that link call this). */
export function importWith(how: LinkMode, source: string, destination: string, mode: 0o644 | 0o755): void {
  if (how === "hardlink") return linkSync(source, destination);
  copyFileSync(source, destination, constants.COPYFILE_EXCL | (how === "clone" ? constants.COPYFILE_FICLONE_FORCE : 0));
  chmodSync(destination, mode);
}
