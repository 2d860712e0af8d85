// The resolver's edge: an index snapshot backed by the IndexClient. Project pages and metadata are
// fetched once per run (shared by every target) and metadata is prefetched while the solver works.

import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { IndexClient } from "../index-client/client.js";
import { parseCoreMetadata, type CoreMetadata } from "../standards/metadata.js";
import { canonicalizeName } from "../standards/normalize.js";
import type { ProjectFile } from "../standards/simple-api.js";
import type { Target } from "../standards/targets.js";
import { isWheelFilename } from "../standards/wheel-filename.js";
import type { Logger } from "../util/log.js";
import { silentLogger } from "../util/log.js";
import type { ResolverProvider } from "./resolve.js";

export class IndexProvider implements ResolverProvider {
  private readonly pages = new Map<string, Promise<ProjectFile[]>>();
  private readonly metadataByVersion = new Map<string, Promise<CoreMetadata>>();
  pagesFetched = 0;
  metadataFetched = 0;
  /** Metadata of an sdist (static PKG-INFO or a backend's answer): set by the caller when building is allowed. */
  sdistMetadata?: (file: ProjectFile, target: Target | undefined) => Promise<CoreMetadata>;

  constructor(
    private readonly client: Pick<IndexClient, "getProject" | "getMetadata"> & Partial<Pick<IndexClient, "downloadToFile">>,
    private readonly log: Logger = silentLogger,
  ) {}

  projectFiles(name: string): Promise<ProjectFile[]> {
    const key = canonicalizeName(name);
    let page = this.pages.get(key);
    if (!page) {
      this.log.debug(`fetching the project page of ${key}`);
      page = this.client.getProject(key).then((files) => {
        this.pagesFetched++;
        return files;
      });
      this.pages.set(key, page);
    }
    return page;
  }

  metadata(name: string, version: string, file: ProjectFile, target?: Target): Promise<CoreMetadata> {
    // Keyed by version, not file: every wheel of a release carries the same core metadata in practice
    // (uv makes the same assumption), and one fetch then serves every target.
    const key = `${canonicalizeName(name)}==${version}`;
    let meta = this.metadataByVersion.get(key);
    if (!meta && !isWheelFilename(file.filename) && this.sdistMetadata) {
      meta = this.sdistMetadata(file, target);
      this.metadataByVersion.set(key, meta);
    }
    if (!meta) {
      meta = this.client.getMetadata(file).then((text) => {
        this.metadataFetched++;
        return parseCoreMetadata(text, file.filename);
      });
      this.metadataByVersion.set(key, meta);
    }
    return meta;
  }

  /** A direct URL wheel without a #sha256= fragment: download it once to learn its hash and size. */
  async hashDirect(file: ProjectFile, tempDir: string): Promise<ProjectFile> {
    const client = this.client as Pick<IndexClient, "downloadToFile">;
    const dir = await mkdtemp(join(tempDir, "pystore-direct-"));
    try {
      const written = await client.downloadToFile(file, join(dir, file.filename), { expected: {} });
      return { ...file, hashes: { ...file.hashes, sha256: written.sha256 }, size: written.size };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  prefetchMetadata(name: string, version: string, file: ProjectFile): void {
    // Errors surface when the solver really asks for it; a failed guess must not crash the run.
    this.metadata(name, version, file).catch(() => undefined);
  }
}
