// "Did you mean": the closest known name to a misspelt one, by edit distance (Levenshtein with
// transpositions counted as one edit, since swapped letters are the commonest typo). Pure.

/** Optimal string alignment distance between `a` and `b`. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The known name closest to `input`, or undefined when none is close enough to be a plausible typo:
 * at most a third of the input's length in edits (at least 1), ties broken by the candidates' order.
 * Case and `_`/`-` differences count as nothing, so `index_url` and `Index-URL` find `index-url`.
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const fold = (s: string) => s.toLowerCase().replace(/_/g, "-");
  const wanted = fold(input);
  const limit = Math.max(1, Math.floor(wanted.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(wanted, fold(name));
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/**
 * Up to `max` candidates within the same typo distance as didYouMean, closest first (ties in the
 * candidates' order): for "no such project" errors, where a listing may hold several near misses.
 */
export function closestNames(input: string, candidates: Iterable<string>, max = 3): string[] {
  const fold = (s: string) => s.toLowerCase().replace(/[_.]/g, "-");
  const wanted = fold(input);
  const limit = Math.max(1, Math.floor(wanted.length / 3));
  const near: { name: string; distance: number; order: number }[] = [];
  let order = 0;
  for (const name of candidates) {
    const folded = fold(name);
    // Cheap bound first: a long listing (an index root) is mostly far away by length alone.
    if (Math.abs(folded.length - wanted.length) > limit || folded === wanted) continue;
    const distance = editDistance(wanted, folded);
    if (distance <= limit) near.push({ name, distance, order: order++ });
  }
  return near
    .sort((a, b) => a.distance - b.distance || a.order - b.order)
    .slice(0, max)
    .map((n) => n.name);
}
