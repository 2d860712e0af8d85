// How a failure is shown: `error: …` (`error[CODE]: …` with -v or PYSTORE_DEBUG) and `hint: …` on stderr,
// and with --json one `{"error": {code, message, hint, details}}` object on stdout (docs/exit-codes.md).

import { isPystoreError } from "../errors.js";
import { redactText } from "../util/redact.js";
import { stableJson } from "../util/stable-json.js";

const INTERNAL_MESSAGE = "internal error (this is a bug in pystore)";

/**
 * A value as JSON may carry it, every string redacted: details are built by library code, and a URL with
 * credentials in one must not reach a script's log any more than the terminal.
 */
function jsonSafe(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return undefined;
  // Details are flat records in practice; the bound only stops a cycle from hanging the error path.
  if (depth > 16) return "…";
  if (value instanceof Error) return redactText(value.message);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => jsonSafe(v, depth + 1) ?? null);
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, jsonSafe(v, depth + 1)]));
  }
  return redactText(String(value));
}

/** The `error` member of --json output for any thrown value; anything not a PystoreError is INTERNAL. */
export function errorObject(error: unknown): { code: string; message: string; hint: string | null; details: Record<string, unknown> } {
  if (!isPystoreError(error)) return { code: "INTERNAL", message: INTERNAL_MESSAGE, hint: null, details: {} };
  return {
    code: error.code,
    message: redactText(error.message),
    hint: error.hint === undefined ? null : redactText(error.hint),
    details: (jsonSafe(error.details ?? {}) as Record<string, unknown>) ?? {},
  };
}

/**
 * The whole of stdout for a failed --json run. A command that printed its report before failing
 * (`store verify`, `lock --check`) keeps that report's members beside `error`, so stdout stays one document.
 */
export function errorJson(error: unknown, printed = ""): string {
  const body = { error: errorObject(error) };
  let report: unknown;
  try {
    report = printed.trim() === "" ? undefined : JSON.parse(printed);
  } catch {
    report = printed;
  }
  if (report === undefined) return stableJson(body);
  if (report && typeof report === "object" && !Array.isArray(report) && !("error" in report)) return stableJson({ ...report, ...body });
  return stableJson({ ...body, output: report });
}

/** The stderr text for a failure; `showCode` adds the stable code (`error[STORE_CORRUPTED]: …`). */
export function errorText(error: unknown, opts: { showCode: boolean; showCause: boolean }): string {
  if (!isPystoreError(error)) {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return redactText(`error${opts.showCode ? "[INTERNAL]" : ""}: ${INTERNAL_MESSAGE}\n${detail}\n`);
  }
  let text = `error${opts.showCode ? `[${error.code}]` : ""}: ${error.message}\n`;
  if (error.hint) text += `hint: ${error.hint}\n`;
  if (opts.showCause && error.cause) text += `cause: ${String(error.cause)}\n`;
  return redactText(text);
}
