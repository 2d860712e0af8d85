// `store pull`: a closure artifact into the local store. The manifest and config are checked first, every
// missing wheel is downloaded into the store's tmp/ and checked against its digest and size as it is
// written, then vetted like any wheel, and only then added through the store's normal add path: a refused
// blob (or a killed pull) adds nothing.

import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import type { StoreEntry } from "../store/entries.js";
import { tmpDir } from "../store/layout.js";
import type { Store } from "../store/store.js";
import { refusedWrite, tempName } from "../util/atomic-write.js";
import { byKey } from "../util/order.js";
import { pullBlob, readBlob } from "./blobs.js";
import { parseClosureConfig, parseClosureManifest } from "./closure-artifact.js";
import type { OciClient } from "./client.js";
import { getManifest } from "./manifests.js";
import { OCI_MANIFEST } from "./media-types.js";
import { formatReference, type OciReference, withTarget } from "./reference.js";
import { settleAll } from "./settle.js";
import { startProgress } from "../util/progress.js";

/** A closure's config describes its wheels in a few hundred bytes each; this bounds a hostile one. */
const CONFIG_LIMIT = 16 * 1024 * 1024;

export interface PullResult {
  /** `oci://HOST/REPO@sha256:…` */
  reference: string;
  digest: string;
  lockSha256?: string;
  added: StoreEntry[];
  present: StoreEntry[];
}

export async function pullClosure(client: OciClient, store: Store, ref: OciReference): Promise<PullResult> {
  const registry = client.registry(ref);
  const repository = ref.repository;
  const where = formatReference(ref);
  const manifest = await getManifest(registry, repository, ref.digest ?? ref.tag ?? "latest", [OCI_MANIFEST]);
  const { config, layers } = parseClosureManifest(manifest.bytes, where);
  const configBytes = await readBlob(registry, repository, { ...config, label: `the config of ${where}` }, CONFIG_LIMIT);
  const closure = parseClosureConfig(configBytes, where, layers);
  const rows = new Map(closure.wheels.map((w) => [w.sha256, w]));
  const present: StoreEntry[] = [];
  const missing = layers.filter((layer) => {
    const entry = store.get(layer.digest.slice("sha256:".length));
    if (entry && entry.size === layer.size) {
      store.touch(entry.sha256);
      present.push(entry);
      return false;
    }
    return true;
  });
  const added: StoreEntry[] = [];
  if (missing.length > 0) {
    const staging = join(tmpDir(store.dir), tempName("pull"));
    // Each wheel is vetted as soon as it is pulled; none is added before every one passed: all or nothing.
    const admission = store.admitStaged();
    try {
      try {
        await mkdir(staging, { recursive: true });
      } catch (error) {
        throw refusedWrite(error, staging, "a pull staging directory", "STORE_IO") ?? error;
      }
      const progress = startProgress(client.log, "pulling", {
        items: missing.length,
        unit: "wheel",
        bytes: missing.reduce((n, l) => n + l.size, 0),
      });
      await settleAll(
        missing.map((layer, i) =>
          client.transfers.run(async () => {
            const dir = join(staging, String(i));
            await mkdir(dir);
            const path = join(dir, layer.filename);
            const written = await pullBlob(registry, repository, { ...layer, label: layer.filename }, path, { tempDir: dir });
            if (!written)
              throw new PystoreError(
                "ARTIFACT_NOT_FOUND",
                `${where} lists ${layer.filename} (${layer.digest}), which ${registry.name} does not have`,
              );
            progress.advance(layer.filename, layer.size);
            // pullBlob checked it against its digest and size as it wrote it, in the store's tmp/.
            const sha256 = layer.digest.slice("sha256:".length);
            const row = rows.get(sha256);
            admission.add({ path, filename: layer.filename, sha256, size: layer.size, originUrl: row?.originUrl, index: row?.index }, i);
          }),
        ),
      ).finally(() => progress.done());
      added.push(...(await admission.finish()));
    } finally {
      await admission.close();
      await rm(staging, { recursive: true, force: true });
    }
  }
  return {
    reference: formatReference(withTarget(ref, { digest: manifest.digest })),
    digest: manifest.digest,
    ...(closure.lockSha256 ? { lockSha256: closure.lockSha256 } : {}),
    added: added.sort(byKey((e) => e.filename)),
    present: present.sort(byKey((e) => e.filename)),
  };
}
