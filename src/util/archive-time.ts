// The one timestamp pystore's archives (tar.gz and .pyz bundles, closure archives) carry in every entry,
// and SOURCE_DATE_EPOCH.

/**
 * 1980-01-01T00:00:00Z. Zip's DOS timestamps cannot go before 1980, so one epoch that both archive
 * writers can store keeps every archive pystore makes stamped alike.
 */
export const DEFAULT_EPOCH = 315532800;

/** SOURCE_DATE_EPOCH (reproducible-builds.org) when set and valid, else DEFAULT_EPOCH; never before it. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv): number {
  const value = env.SOURCE_DATE_EPOCH;
  if (value && /^\d+$/.test(value)) return Math.max(DEFAULT_EPOCH, Number(value));
  return DEFAULT_EPOCH;
}
