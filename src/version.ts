// pystore's own version, recorded in locks (`created-by`) and bundle manifests.
export const VERSION = "0.1.0";
