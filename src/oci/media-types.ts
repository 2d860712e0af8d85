// The media types and annotation keys of OCI artifacts (image-spec 1.1) and of pystore's closure artifact
// (store-format/oci-artifacts.md). One place, so the spec test can hold the two together.

/** OCI image manifest (image-spec 1.1 carries `artifactType` in it). */
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
/** OCI image index, accepted when reading but never written. */
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
/** The standard annotation for a layer's file name (ORAS and others use it too). */
export const TITLE_ANNOTATION = "org.opencontainers.image.title";

/** The artifactType of a pystore closure: a set of wheels (a lock's closure, or a whole store). */
export const CLOSURE_ARTIFACT_TYPE = "application/vnd.pystore.closure.v1";
/** The closure's config blob: JSON describing each wheel. */
export const CLOSURE_CONFIG_MEDIA_TYPE = "application/vnd.pystore.closure.config.v1+json";
/** One wheel, byte for byte as stored (a zip archive). */
export const WHEEL_LAYER_MEDIA_TYPE = "application/vnd.pystore.wheel.v1+zip";
/** Manifest annotation: the format version of the closure artifact. */
export const CLOSURE_VERSION_ANNOTATION = "dev.pystore.closure.version";
/** Manifest annotation: the sha256 of the lock file the closure was pushed for (absent for --all). */
export const LOCK_SHA256_ANNOTATION = "dev.pystore.lock.sha256";
