// The bundle formats by name: what `pystore bundle` writes and what `pystore bundle verify` recognises.
// A new format is a module beside this one and a line below.

import { open, stat } from "node:fs/promises";
import { PystoreError } from "../../errors.js";
import { dirFormat } from "./dir.js";
import type { BundleFormatHandler, PathProbe } from "./format.js";
import { ociFormat } from "./oci.js";
import { pyzFormat } from "./pyz.js";
import { tarGzFormat } from "./tar-gz.js";

/** In detection order: content (gzip magic) before name (.pyz), an image layout before any other directory. */
const FORMATS = { "tar.gz": tarGzFormat, pyz: pyzFormat, oci: ociFormat, dir: dirFormat } as const satisfies Record<
  string,
  BundleFormatHandler
>;

export type BundleFormat = keyof typeof FORMATS;

/** Format names, for messages and --format's help. */
const BUNDLE_FORMATS = ["dir", "tar.gz", "pyz", "oci"] as const satisfies readonly BundleFormat[];

export function bundleFormat(name: BundleFormat): BundleFormatHandler {
  return FORMATS[name];
}

/** --format's value checked, else the format OUT's suffix names, else a directory. */
export function chooseFormat(format: string | undefined, out: string): BundleFormat {
  if (format !== undefined) {
    if (!Object.hasOwn(FORMATS, format))
      throw new PystoreError("USAGE", `unknown --format ${JSON.stringify(format)}`, { hint: `use one of: ${BUNDLE_FORMATS.join(", ")}` });
    return format as BundleFormat;
  }
  for (const name of BUNDLE_FORMATS) if (FORMATS[name].suffixes.some((suffix) => out.endsWith(suffix))) return name;
  return "dir";
}

async function probe(path: string): Promise<PathProbe> {
  const isFile = await stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!isFile) return { path, isFile, head: Buffer.alloc(0) };
  const file = await open(path, "r");
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return { path, isFile, head: head.subarray(0, bytesRead) };
  } finally {
    await file.close();
  }
}

/** The format of an existing bundle at `path`; USAGE when it is a file no format claims. */
export async function detectFormat(path: string): Promise<BundleFormatHandler> {
  const found = await probe(path);
  for (const format of Object.values(FORMATS)) if (format.detect(found)) return format;
  throw new PystoreError("USAGE", `${path}: bundle verify checks bundle directories, .pyz files, tar.gz archives and OCI image layouts`, {
    hint: "give the bundle directory, OUT.pyz, OUT.tar.gz or the image layout directory",
  });
}
