// How long a cached index page may be used without asking the index again (RFC 9111 freshness, as a
// private cache computes it): `Cache-Control: max-age` less the response's `Age`. Pure: `now` is a parameter.

/** Milliseconds since the epoch until which the response is fresh; undefined when it must be revalidated. */
export function freshUntil(cacheControl: string | undefined, age: string | undefined, now: number): number | undefined {
  if (!cacheControl) return undefined;
  let maxAge: number | undefined;
  for (const part of cacheControl.split(",")) {
    const [rawName, rawValue] = part.split("=", 2);
    const name = rawName!.trim().toLowerCase();
    // Any of these means "ask every time" (no-cache) or "keep nothing" (no-store).
    if (name === "no-cache" || name === "no-store") return undefined;
    if (name === "max-age" && rawValue !== undefined) {
      const value = rawValue.trim().replace(/^"(.*)"$/, "$1");
      // RFC 9111 §1.2.2: a delta-seconds is digits only; anything else invalidates the directive.
      if (!/^\d+$/.test(value)) return undefined;
      maxAge = Number(value);
    }
  }
  if (maxAge === undefined) return undefined;
  const ageSeconds = age !== undefined && /^\d+$/.test(age.trim()) ? Number(age.trim()) : 0;
  const lifetime = maxAge - ageSeconds;
  return lifetime > 0 ? now + lifetime * 1000 : undefined;
}
