// Test helper: an in-memory index snapshot for the resolver, built from a compact description.

import { metadataText, wheelFilename } from "../../fixtures/wheels.js";
import { parseCoreMetadata, type CoreMetadata } from "../../src/standards/metadata.js";
import { canonicalizeName } from "../../src/standards/normalize.js";
import type { ProjectFile } from "../../src/standards/simple-api.js";
import { PystoreError } from "../../src/errors.js";
import type { ResolverProvider } from "../../src/resolver/resolve.js";

export interface MemVersion {
  deps?: string[];
  extras?: string[];
  requiresPython?: string;
  /** Requires-Python on the index file (PEP 503 data-requires-python) but not in METADATA. */
  fileRequiresPython?: string;
  tags?: string[];
  yanked?: string;
  uploadTime?: string;
  sdistOnly?: boolean;
  /** Serve METADATA that does not parse. */
  brokenMetadata?: boolean;
}

export type MemIndex = Record<string, Record<string, MemVersion>>;

export function memoryProvider(index: MemIndex): ResolverProvider & { metadataCalls: string[]; pageCalls: string[] } {
  const metadataCalls: string[] = [];
  const pageCalls: string[] = [];
  const byName = new Map(Object.entries(index).map(([n, v]) => [canonicalizeName(n), { name: n, versions: v }]));
  return {
    metadataCalls,
    pageCalls,
    async projectFiles(name) {
      pageCalls.push(name);
      const project = byName.get(canonicalizeName(name));
      if (!project) throw new PystoreError("PACKAGE_NOT_FOUND", `${name} not found`);
      const files: ProjectFile[] = [];
      for (const [version, v] of Object.entries(project.versions)) {
        const common = {
          hashes: { sha256: "0".repeat(64) },
          requiresPython: v.fileRequiresPython ?? v.requiresPython,
          yanked: v.yanked !== undefined ? { reason: v.yanked || undefined } : undefined,
          uploadTime: v.uploadTime,
          index: "https://mem.test/simple/",
          size: 100,
        };
        if (v.sdistOnly) {
          files.push({
            ...common,
            filename: `${project.name}-${version}.tar.gz`,
            url: `https://mem.test/${project.name}-${version}.tar.gz`,
          });
          continue;
        }
        for (const tags of v.tags ?? ["py3-none-any"]) {
          const filename = wheelFilename({ name: project.name, version, tags });
          files.push({ ...common, filename, url: `https://mem.test/files/${filename}` });
        }
      }
      return files;
    },
    async metadata(name, version): Promise<CoreMetadata> {
      metadataCalls.push(`${name}==${version}`);
      const project = byName.get(canonicalizeName(name))!;
      const v = project.versions[version];
      if (v.brokenMetadata) return parseCoreMetadata("Metadata-Version: 2.1\nName: \n", `${name}-${version}`);
      return parseCoreMetadata(
        metadataText({ name: project.name, version, requiresDist: v.deps, requiresPython: v.requiresPython, providesExtra: v.extras }),
        `${name}-${version}`,
      );
    },
  };
}
