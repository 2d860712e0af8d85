// `pystore bundle push DIR REF` (and `bundle --push REF`): an image bundle's layout to an OCI registry.
// Every blob is checked against its digest first (a damaged layout is never published); layers go up in
// parallel and only when the registry lacks them (mounted from the base's repository when it is on the
// same registry), then the config, and the manifest last, so a push cut short leaves no tag.

import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import { join } from "node:path";
import type { Descriptor } from "../bundle/image/config.js";
import { blobRelPath, resolveImage } from "../bundle/image/layout.js";
import { BASE_NAME, DEFAULT_TAG, PREFIX_ANNOTATION, REF_NAME } from "../bundle/image/media-types.js";
import { PystoreError } from "../errors.js";
import { type PushStatus, pushBlob } from "../oci/blobs.js";
import { OciClient } from "../oci/client.js";
import { putManifest } from "../oci/manifests.js";
import { formatReference, isOciReference, parseReference, withTarget } from "../oci/reference.js";
import { settleAll } from "../oci/settle.js";
import { readJsonBlob } from "../bundle/image/layout.js";
import { hashFile } from "../util/hash-file.js";
import type { CommandContext, Handler } from "./context.js";
import { type IndexFlags, type RemoteStoreFlags, remoteStoreRequest, transportSettings } from "./settings.js";

interface Options extends IndexFlags, RemoteStoreFlags {
  json?: boolean;
}

export interface ImagePushResult {
  /** `oci://HOST/REPO:TAG@sha256:…` */
  reference: string;
  digest: string;
  blobs: { digest: string; size: number; status: PushStatus }[];
}

async function checkedBlob(dir: string, d: Descriptor): Promise<Descriptor> {
  const path = join(dir, blobRelPath(d.digest));
  const found = await hashFile(path).catch(() => undefined);
  if (!found)
    throw new PystoreError("INVALID_IMAGE", `${dir}: blob ${d.digest} is missing`, {
      hint: "rebuild the image with `pystore bundle --format oci`",
    });
  if (`sha256:${found.sha256}` !== d.digest || found.size !== d.size)
    throw new PystoreError("HASH_MISMATCH", `${dir}: blob ${d.digest} holds other bytes (sha256:${found.sha256}, ${found.size} bytes)`, {
      hint: "`pystore bundle verify` says what changed; rebuild the image with `pystore bundle --format oci`",
      details: { expected: d.digest, found: `sha256:${found.sha256}` },
    });
  return d;
}

/** Push the image bundle at `dir` to `reference` (its tag; else the layout's tag; else latest). */
export async function pushImage(
  ctx: CommandContext,
  flags: IndexFlags & RemoteStoreFlags,
  dir: string,
  reference: string,
): Promise<ImagePushResult> {
  const ref = parseReference(reference);
  if (ref.digest)
    throw new PystoreError("USAGE", `${reference} names a digest; push to a repository or a tag`, {
      hint: "an image's digest is decided by its content",
    });
  const image = await resolveImage(dir);
  if (image.manifest.annotations?.[PREFIX_ANNOTATION] === undefined)
    throw new PystoreError("INVALID_IMAGE", `${dir} is an OCI image layout but not a pystore image bundle`, {
      hint: "build one with `pystore bundle --format oci`",
    });
  const manifestBytes = (await readJsonBlob(dir, image.descriptor, dir, "the manifest")).bytes;
  const blobs = await Promise.all([...image.manifest.layers, image.configDescriptor].map((d) => checkedBlob(dir, d)));
  const tag = ref.tag ?? image.descriptor.annotations?.[REF_NAME] ?? DEFAULT_TAG;
  // The base's layers are usually in the base's repository already: mount them instead of uploading.
  const baseName = image.manifest.annotations?.[BASE_NAME];
  const base = baseName && isOciReference(baseName) ? parseReference(baseName) : undefined;
  const mountFrom = base && base.registry === ref.registry && base.repository !== ref.repository ? [base.repository] : [];
  const client = new OciClient({
    transport: transportSettings(flags, ctx.env),
    insecureRegistries: remoteStoreRequest(flags, ctx.env).insecureRegistries,
    env: ctx.env,
    log: ctx.log,
  });
  try {
    const registry = client.registry(ref);
    const source = (d: Descriptor) => ({
      digest: d.digest,
      size: d.size,
      open: (start?: number, end?: number) => createReadStream(join(dir, blobRelPath(d.digest)), start === undefined ? {} : { start, end }),
    });
    const layers = blobs.slice(0, -1);
    const pushed = await settleAll(
      layers.map((d) =>
        client.transfers.run(async () => ({
          digest: d.digest,
          size: d.size,
          status: await pushBlob(registry, ref.repository, source(d), { mountFrom }),
        })),
      ),
    );
    const config = blobs[blobs.length - 1];
    pushed.push({ digest: config.digest, size: config.size, status: await pushBlob(registry, ref.repository, source(config)) });
    const digest = await putManifest(registry, ref.repository, tag, manifestBytes, image.descriptor.mediaType);
    return { reference: formatReference(withTarget(ref, { tag, digest })), digest, blobs: pushed };
  } finally {
    await client.close();
  }
}

export function pushLine(result: ImagePushResult): string {
  const count = (status: PushStatus) => result.blobs.filter((b) => b.status === status).length;
  return `pushed ${result.reference} (${count("uploaded")} blobs uploaded, ${count("mounted")} mounted, ${count("present")} already there)`;
}

const handler: Handler<Options> = async (args, options, ctx) => {
  if (args.length !== 2) throw new PystoreError("USAGE", "bundle push takes the image bundle directory and an oci:// reference");
  const result = await pushImage(ctx, options, resolve(ctx.cwd, args[0]), args[1]);
  ctx.out(options.json ? JSON.stringify(result, null, 2) : pushLine(result));
  return 0;
};

export default handler;
