// The error model: every failure pystore reports is a PystoreError with a stable code.
// Codes are part of the CLI contract (docs/exit-codes.md); exit codes are grouped by area.

/** Exit codes, by area. Documented in docs/exit-codes.md; tests check the two agree. */
export const EXIT = {
  ok: 0,
  /** A check that ran fine but says "no": `lock --check` stale, `bundle verify` differences. */
  checkFailed: 1,
  usage: 2,
  invalidInput: 3,
  resolution: 4,
  network: 5,
  integrity: 6,
  store: 7,
  offline: 8,
  bundle: 9,
  internal: 70,
} as const;

export type ExitArea = keyof typeof EXIT;

/**
 * Every stable error code and its exit area. Add new codes here (and to docs/exit-codes.md);
 * never rename one: scripts match on them.
 */
export const ERROR_CODES = {
  // usage and input
  USAGE: "usage",
  INVALID_NAME: "invalidInput",
  INVALID_VERSION: "invalidInput",
  INVALID_SPECIFIER: "invalidInput",
  INVALID_REQUIREMENT: "invalidInput",
  INVALID_MARKER: "invalidInput",
  INVALID_WHEEL_FILENAME: "invalidInput",
  INVALID_SDIST_FILENAME: "invalidInput",
  INVALID_METADATA: "invalidInput",
  INVALID_RECORD: "invalidInput",
  INVALID_TARGET: "invalidInput",
  INVALID_PLATFORM_FILE: "invalidInput",
  INVALID_PYPROJECT: "invalidInput",
  INVALID_REQUIREMENTS_FILE: "invalidInput",
  INVALID_LOCK: "invalidInput",
  INVALID_CONFIG: "invalidInput",
  INVALID_NETRC: "invalidInput",
  FILE_NOT_FOUND: "invalidInput",
  /** A URL whose scheme no transport serves (src/index-client/transports.ts). */
  UNSUPPORTED_URL: "invalidInput",
  /** An `oci://` reference that breaks the OCI grammar (src/oci/reference.ts). */
  INVALID_REFERENCE: "invalidInput",
  /** An OCI artifact that is not a pystore closure, or one whose manifest or config is malformed. */
  INVALID_ARTIFACT: "invalidInput",
  /** An OCI image layout (a --base-image, an image bundle to push) that is malformed or incomplete. */
  INVALID_IMAGE: "invalidInput",
  /** A --base-image whose os/architecture is not the bundle target's. */
  IMAGE_PLATFORM_MISMATCH: "invalidInput",
  /** A path given to `python add` (or `bundle --embed-python`) that is not a relocatable CPython this machine can run. */
  INVALID_PYTHON: "invalidInput",
  /** An interpreter to embed whose version, OS, machine or C library is not the bundle target's. */
  PYTHON_MISMATCH: "invalidInput",
  /** A path pystore was asked to write (an output file, a download's destination) cannot be created. */
  IO: "invalidInput",
  // resolution
  NO_SOLUTION: "resolution",
  NO_MATCHING_WHEEL: "resolution",
  PACKAGE_NOT_FOUND: "resolution",
  /** An sdist is needed for a target this machine cannot build for (no such Python, or the wheel does not fit). */
  BUILD_UNSUPPORTED_TARGET: "resolution",
  // network and indexes
  NETWORK: "network",
  HTTP_STATUS: "network",
  AUTH_REQUIRED: "network",
  PROXY_AUTH_REQUIRED: "network",
  TLS: "network",
  TIMEOUT: "network",
  INCOMPLETE_DOWNLOAD: "network",
  INVALID_INDEX_RESPONSE: "network",
  UNSUPPORTED_API_VERSION: "network",
  /** A registry has no such repository, tag or manifest. */
  ARTIFACT_NOT_FOUND: "network",
  // integrity
  HASH_MISMATCH: "integrity",
  SIZE_MISMATCH: "integrity",
  STORE_CORRUPTED: "integrity",
  ARCHIVE_TAMPERED: "integrity",
  /** A rebuilt sdist's wheel differs from the sha256 the lock records. */
  BUILD_NOT_REPRODUCIBLE: "integrity",
  // store
  STORE_FORMAT: "store",
  STORE_IO: "store",
  ENTRY_NOT_FOUND: "store",
  /** store.db is missing (while wheel files are stored) or damaged; `pystore store reindex` rebuilds it. */
  STORE_INDEX_DAMAGED: "store",
  // offline
  OFFLINE_MISSING: "offline",
  // bundles and wheels
  UNSAFE_WHEEL: "bundle",
  RECORD_MISMATCH: "bundle",
  BUNDLE_FAILED: "bundle",
  /** An sdist's build backend failed (the error carries the build log's tail). */
  BUILD_FAILED: "bundle",
  /** An sdist holds links, devices, paths outside its directory, or members beyond the limits. */
  UNSAFE_SDIST: "bundle",
  // checks that answer "no"
  LOCK_STALE: "checkFailed",
  BUNDLE_MODIFIED: "checkFailed",
  /** `pystore doctor` found at least one problem that will make commands fail (warnings alone do not). */
  DOCTOR_FAILED: "checkFailed",
  // bugs
  INTERNAL: "internal",
} as const satisfies Record<string, ExitArea>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface PystoreErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Structured details for `--json` output and tests (never credentials). */
  details?: Record<string, unknown>;
}

export class PystoreError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: PystoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PystoreError";
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get exitCode(): number {
    return EXIT[ERROR_CODES[this.code]];
  }
}

export function isPystoreError(value: unknown): value is PystoreError {
  return value instanceof PystoreError;
}

/** Exit code for any thrown value: unknown errors are bugs. */
export function exitCodeFor(error: unknown): number {
  return isPystoreError(error) ? error.exitCode : EXIT.internal;
}

/**
 * A parse error that shows the input with a caret under the bad span, as pypa/packaging does:
 *
 *     Expected end of input after version specifier
 *         requests >=2.0 foo
 *                        ^~~
 */
export function caretMessage(summary: string, input: string, start: number, length = 1): string {
  const width = Math.max(1, Math.min(length, input.length - start || 1));
  return `${summary}\n    ${input}\n    ${" ".repeat(Math.max(0, start))}${"^".padEnd(width, "~")}`;
}
