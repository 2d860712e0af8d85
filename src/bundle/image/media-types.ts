// The OCI image-spec names an image bundle uses (store-format/bundle-image.md): media types, the layout's
// fixed files, and the annotation and label keys pystore writes. One place, so the spec test can hold the
// document and the code together.

export const OCI_LAYOUT_FILE = "oci-layout";
export const OCI_LAYOUT_VERSION = "1.0.0";
export const INDEX_FILE = "index.json";

export const MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";
export const INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json";
export const CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json";
export const LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";

/**
 * Docker's schema 2 types, as registries still serve many base images: same bytes as their OCI
 * counterparts, so a base read in them is written back under the OCI names.
 */
export const DOCKER_EQUIVALENTS: Readonly<Record<string, string>> = {
  "application/vnd.docker.distribution.manifest.v2+json": MANIFEST_MEDIA_TYPE,
  "application/vnd.docker.distribution.manifest.list.v2+json": INDEX_MEDIA_TYPE,
  "application/vnd.docker.container.image.v1+json": CONFIG_MEDIA_TYPE,
  "application/vnd.docker.image.rootfs.diff.tar.gzip": LAYER_MEDIA_TYPE,
  "application/vnd.docker.image.rootfs.diff.tar": "application/vnd.oci.image.layer.v1.tar",
};

/** The OCI name of a media type (a Docker one mapped, anything else as it is). */
export function ociMediaType(mediaType: string): string {
  return DOCKER_EQUIVALENTS[mediaType] ?? mediaType;
}

/** Layer media types pystore carries over from a base image (it never looks inside them). */
export const BASE_LAYER_MEDIA_TYPES = new Set([
  LAYER_MEDIA_TYPE,
  "application/vnd.oci.image.layer.v1.tar",
  "application/vnd.oci.image.layer.v1.tar+zstd",
]);

// Standard annotations (image-spec annotations.md).
export const REF_NAME = "org.opencontainers.image.ref.name";
export const TITLE = "org.opencontainers.image.title";
export const CREATED = "org.opencontainers.image.created";
export const BASE_DIGEST = "org.opencontainers.image.base.digest";
export const BASE_NAME = "org.opencontainers.image.base.name";

// pystore's own, on the manifest (and as config labels).
/** The image format version (BUNDLE_IMAGE_VERSION). */
export const IMAGE_VERSION_ANNOTATION = "dev.pystore.bundle-image.version";
/** Where the bundle sits in the image's filesystem, e.g. `/opt/hello-web`. */
export const PREFIX_ANNOTATION = "dev.pystore.bundle.prefix";
/** sha256 of the bundle manifest (the bundle hash `pystore bundle` prints). */
export const BUNDLE_HASH_ANNOTATION = "dev.pystore.bundle.hash";
/** The target id the bundle was built for. */
export const TARGET_ANNOTATION = "dev.pystore.bundle.target";
/** sha256 of the lock the bundle was built from. */
export const LOCK_ANNOTATION = "dev.pystore.lock.sha256";

/** The tag an image bundle's index.json gives its one manifest. */
export const DEFAULT_TAG = "latest";
