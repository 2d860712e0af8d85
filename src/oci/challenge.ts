// `WWW-Authenticate` challenges as registries send them (RFC 9110 §11.6.1 auth-params, RFC 6750 Bearer):
// `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"`. Pure.

export interface Challenge {
  /** Lower-case scheme: "bearer", "basic", … */
  scheme: string;
  /** Parameter names lower-cased; values unquoted. */
  params: Record<string, string>;
}

/**
 * Every challenge in a header value (a server may offer several, comma-separated). Malformed parts are
 * skipped rather than thrown: the caller reports "no usable challenge" with the status it got.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipSpace = () => {
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
  };
  const token = () => {
    const start = i;
    while (i < s.length && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(s[i])) i++;
    return s.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < s.length) {
    skipSpace();
    if (s[i] === ",") {
      i++;
      continue;
    }
    const word = token();
    if (!word) {
      i++;
      continue;
    }
    skipSpace();
    if (s[i] === "=" && current) {
      i++;
      skipSpace();
      let value = "";
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === "\\" && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++;
      } else {
        value = token();
      }
      current.params[word.toLowerCase()] = value;
      continue;
    }
    // A token not followed by "=" starts a new challenge (token68 forms are not used by registries).
    current = { scheme: word.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}

/** The challenge pystore can answer: Bearer (with a realm) preferred over Basic. */
export function usableChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const all = parseChallenges(header);
  return all.find((c) => c.scheme === "bearer" && c.params.realm) ?? all.find((c) => c.scheme === "basic");
}

/** `repository:NAME:ACTIONS` scope strings, merged per repository, in a stable order. */
export function mergeScopes(scopes: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const scope of scopes) {
    const last = scope.lastIndexOf(":");
    if (last < 0) continue;
    const resource = scope.slice(0, last);
    const actions = byResource.get(resource) ?? new Set<string>();
    for (const a of scope.slice(last + 1).split(",")) if (a) actions.add(a);
    byResource.set(resource, actions);
  }
  return [...byResource.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([resource, actions]) => `${resource}:${[...actions].sort().join(",")}`);
}

/** The scope string for actions on one repository. */
export function repositoryScope(repository: string, actions: readonly ("pull" | "push")[]): string {
  return `repository:${repository}:${[...actions].sort().join(",")}`;
}
