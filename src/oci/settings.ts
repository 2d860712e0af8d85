// Remote-store settings as libraries take them: which registries `fetch` and `bundle` consult before any
// index (flags over PYSTORE_REMOTE_STORE over [tool.pystore] remote-stores), which may be spoken to over plain
// HTTP, and where `fetch --push-to` publishes. Built from flags by src/commands/settings.ts.

import { readPyproject } from "../project/pyproject.js";
import { parseReference } from "./reference.js";

export interface RemoteStoreRequest {
  /** --remote-store (repeatable), in order. */
  flags: string[];
  /** PYSTORE_REMOTE_STORE, space-separated; empty when unset. */
  env: string[];
  /** --insecure-registry (repeatable) and PYSTORE_INSECURE_REGISTRY: HOST or HOST:PORT. */
  insecureRegistries: string[];
  /** fetch --push-to REF */
  pushTo?: string;
}

export const noRemoteStores: RemoteStoreRequest = { flags: [], env: [], insecureRegistries: [] };

/**
 * The remote stores to consult, in order: the flags when given, else the environment, else the project's
 * [tool.pystore] remote-stores. Each is parsed, so a bad reference fails before any work.
 */
export async function remoteStoreRefs(request: RemoteStoreRequest | undefined, projectDir: string | undefined): Promise<string[]> {
  if (!request) return [];
  let refs = request.flags.length > 0 ? request.flags : request.env;
  if (refs.length === 0 && projectDir !== undefined) refs = (await readPyproject(projectDir))?.remoteStores ?? [];
  for (const ref of refs) parseReference(ref);
  return refs;
}
