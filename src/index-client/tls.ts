// TLS trust: Node's bundled roots and the system CA bundle, plus --cert or SSL_CERT_FILE; and turning certificate failures into advice.
// Verification is never switched off.

import { readFile } from "node:fs/promises";
import { createSecureContext, rootCertificates } from "node:tls";
import type { buildConnector } from "undici";
import { PystoreError } from "../errors.js";
import { redactUrl } from "../util/redact.js";

/** Where distributions keep the system's trusted CAs (an administrator's private CA lands here too). */
const SYSTEM_CA_FILES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

async function systemBundle(): Promise<string | undefined> {
  for (const path of SYSTEM_CA_FILES) {
    try {
      const pem = await readFile(path, "utf8");
      if (pem.includes("-----BEGIN CERTIFICATE-----")) return pem;
    } catch {
      /* not this distribution's layout */
    }
  }
  return undefined;
}

/** CA certificates to trust: Node's roots + the system bundle, plus --cert or SSL_CERT_FILE. */
export async function loadCaBundle(cert: string | undefined, env: NodeJS.ProcessEnv): Promise<string[] | undefined> {
  const path = cert ?? (env.SSL_CERT_FILE?.trim() || undefined);
  if (!path) {
    const system = await systemBundle();
    return system ? [...rootCertificates, system] : undefined;
  }
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (error) {
    throw new PystoreError(
      "FILE_NOT_FOUND",
      `cannot read CA bundle ${JSON.stringify(path)}${cert ? " (--cert)" : " (SSL_CERT_FILE)"}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new PystoreError("INVALID_CONFIG", `CA bundle ${JSON.stringify(path)} holds no PEM certificate`, {
      hint: "pass a PEM file (-----BEGIN CERTIFICATE-----)",
    });
  }
  // The extra bundle adds trust; it does not replace the default roots.
  const system = await systemBundle();
  return [...rootCertificates, ...(system ? [system] : []), pem];
}

/**
 * undici's `connect` option for an Agent: every TLS connection shares one SecureContext holding `ca`, made
 * on the first https connection. Given `ca` itself, Node parses every certificate of it again for each
 * connection (about 40 ms of CPU with the system bundle, per connection); plain http never makes it.
 */
export function sharedTlsConnector(
  build: typeof buildConnector,
  options: buildConnector.BuildOptions,
  ca: string[] | undefined,
): buildConnector.connector {
  let plain: buildConnector.connector | undefined;
  let secure: buildConnector.connector | undefined;
  return (target, callback) => {
    if (target.protocol !== "https:") {
      plain ??= build(options);
      return plain(target, callback);
    }
    // Verification stays on: rejectUnauthorized comes with `options`, and the context trusts exactly `ca`.
    secure ??= build({ ...options, ...(ca ? { secureContext: createSecureContext({ ca }) } : {}) });
    return secure(target, callback);
  };
}

const UNKNOWN_ISSUER = new Set([
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
]);

const OTHER_TLS = new Set([
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_REVOKED",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "EPROTO",
]);

/** A TLS failure as a PystoreError, or undefined if `error` is not about TLS. */
export function tlsError(error: unknown, url: string): PystoreError | undefined {
  let e: unknown = error;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: string }).code;
    if (code && UNKNOWN_ISSUER.has(code)) {
      return new PystoreError(
        "TLS",
        `TLS: cannot verify the certificate of ${redactUrl(url)} (${code}: issued by an unknown certificate authority)`,
        {
          hint: "if your index or proxy uses a private CA, pass its PEM file with --cert FILE or SSL_CERT_FILE=FILE",
          cause: error,
        },
      );
    }
    if (code && OTHER_TLS.has(code)) {
      return new PystoreError("TLS", `TLS: connection to ${redactUrl(url)} failed (${code}: ${(e as Error).message})`, { cause: error });
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
