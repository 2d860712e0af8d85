// Every on-disk format version, in one place. Each is specified in store-format/.
// Bump a version only together with its spec's "Changes" section.

/** Store layout and SQLite schema (store-format/store-layout.md, store-format/sqlite-schema.md). */
export const STORE_FORMAT_VERSION = 1;
/** Bundle manifest `pystore-bundle.json` (store-format/bundle-manifest.md). */
export const BUNDLE_MANIFEST_VERSION = 1;
/** Closure archive written by `store export` (store-format/closure-archive.md). */
export const CLOSURE_ARCHIVE_VERSION = 1;
/** `[tool.pystore]` keys pystore writes into pylock.toml (store-format/pylock-tool-pystore.md). */
export const PYLOCK_TOOL_VERSION = 1;
/** The host-probe cache, $XDG_CACHE_HOME/pystore/host-*.json (store-format/README.md): a cache, so a
 * file of another version is simply ignored and rewritten, never refused. */
export const HOST_CACHE_FORMAT = 1;
/** `.pystore/launch.json`, the bundle bootstrap's configuration (store-format/launch-config.md). */
export const LAUNCH_CONFIG_VERSION = 1;
/** `index.json` of an unpacked store tree, wheels/<entry-name>/tree/ (store-format/store-layout.md, "Unpacked trees"). */
export const TREE_INDEX_VERSION = 2;
/** The closure artifact `store push` writes to OCI registries (store-format/oci-artifacts.md). */
export const OCI_CLOSURE_ARTIFACT_VERSION = 1;
/** A bundle as an OCI image layout, `bundle --format oci` (store-format/bundle-image.md). */
export const BUNDLE_IMAGE_VERSION = 1;
