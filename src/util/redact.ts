// Credential redaction: every URL that can reach a message, a log, the store or a lock passes here.

const SECRET_QUERY_KEYS =
  /^(token|access_token|auth|authorization|password|passwd|pass|secret|key|api[-_]?key|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token)$/i;

/** Replace `user:pass@` and token-like query parameters in a URL with `****`. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactText(url);
  }
  if (parsed.username || parsed.password) {
    parsed.username = "****";
    parsed.password = "";
  }
  for (const key of [...parsed.searchParams.keys()]) {
    if (SECRET_QUERY_KEYS.test(key)) parsed.searchParams.set(key, "****");
  }
  return parsed.toString();
}

/** Redact anything that looks like a URL with credentials inside free text. */
export function redactText(text: string): string {
  return (
    text
      // The literal placeholder `USER:PASSWORD@` in hints is documentation, not a secret: leave it readable.
      .replace(/([a-z][a-z0-9+.-]*:\/\/)(?!USER:PASSWORD@)([^\s/@:]+)(:[^\s/@]*)?@/gi, "$1****@")
      .replace(/([?&](?:token|access_token|auth|password|secret|api[-_]?key|sig|signature)=)[^&\s#]+/gi, "$1****")
  );
}

/** Strip credentials entirely (for URLs that are stored, e.g. a lock's `index`). */
export function stripCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    for (const key of [...parsed.searchParams.keys()]) {
      if (SECRET_QUERY_KEYS.test(key)) parsed.searchParams.delete(key);
    }
    return parsed.toString();
  } catch {
    return redactText(url);
  }
}
