// The store as an index for `lock --offline`: the wheels it holds (imported closures, earlier fetches) list
// as project files beside whatever the HTTP cache still answers, and their core metadata comes from the
// entry rows, so an air-gapped machine can lock what it was given.

import type { IndexClient } from "../index-client/client.js";
import { PystoreError } from "../errors.js";
import { canonicalizeName } from "../standards/normalize.js";
import type { ProjectFile } from "../standards/simple-api.js";
import type { StoreEntry } from "../store/entries.js";
import type { Store } from "../store/store.js";
import type { Logger } from "../util/log.js";
import { stripCredentials } from "../util/redact.js";

type LockClient = Pick<IndexClient, "getProject" | "getMetadata" | "downloadToFile">;

// What an offline index that lacks a project answers; the store may still hold it.
const ABSENT = new Set(["OFFLINE_MISSING", "PACKAGE_NOT_FOUND"]);

export interface StoreIndex extends LockClient {
  /** How many of the store's wheels were listed to the resolver. */
  readonly filesListed: number;
}

/**
 * `client` with the store's wheels added to every project page. A wheel is offered as it was recorded when
 * fetched: its origin URL (a PEP 751 wheel needs a url or path, so wheels without one are left out) and its
 * index, else `fallbackIndex` (the index the lock names).
 */
export function withStoreIndex(client: LockClient, store: Pick<Store, "entries">, fallbackIndex: string, log: Logger): StoreIndex {
  const bySha = new Map<string, StoreEntry>();
  let filesListed = 0;
  const storeFiles = (canonical: string): ProjectFile[] => {
    const files: ProjectFile[] = [];
    for (const entry of store.entries.find(canonical, canonical)) {
      if (entry.name !== canonical) continue;
      if (!entry.originUrl) {
        log.debug(`store: ${entry.filename} has no recorded origin URL, so a lock cannot name where it comes from`);
        continue;
      }
      bySha.set(entry.sha256, entry);
      const file: ProjectFile = {
        filename: entry.filename,
        url: entry.originUrl,
        hashes: { sha256: entry.sha256 },
        size: entry.size,
        index: stripCredentials(entry.index ?? fallbackIndex),
      };
      if (entry.requiresPython) file.requiresPython = entry.requiresPython;
      files.push(file);
    }
    return files;
  };
  return {
    get filesListed() {
      return filesListed;
    },
    async getProject(name) {
      const canonical = canonicalizeName(name);
      const held = storeFiles(canonical);
      let listed: ProjectFile[] = [];
      try {
        listed = await client.getProject(name);
      } catch (error) {
        if (!(error instanceof PystoreError && ABSENT.has(error.code)) || held.length === 0) throw error;
        log.debug(`${canonical}: ${error.message}; using the ${held.length} wheel(s) the store holds`);
      }
      const known = new Set(listed.map((f) => f.hashes.sha256?.toLowerCase()).filter(Boolean));
      const added = held.filter((f) => !known.has(f.hashes.sha256));
      filesListed += added.length;
      return [...listed, ...added];
    },
    async getMetadata(file) {
      // Any file whose bytes the store holds has its METADATA in the row: no cache or network needed.
      const entry = file.hashes.sha256
        ? (bySha.get(file.hashes.sha256.toLowerCase()) ?? store.entries.get(file.hashes.sha256.toLowerCase()))
        : undefined;
      return entry ? entry.metadata : client.getMetadata(file);
    },
    downloadToFile: (file, destination, opts) => client.downloadToFile(file, destination, opts),
  };
}
