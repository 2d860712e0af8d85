// The wheels a bundle needs, as store entries: already stored, imported from lock-relative paths, or
// fetched from their indexes (never with --offline). All or nothing: one bad wheel adds none.

import { resolve } from "node:path";
import { PystoreError } from "../errors.js";
import { checkLocalUrl, localLocations } from "../lock/local-files.js";
import type { SelectedPackage } from "../lock/select.js";
import { canonicalizeName } from "../standards/normalize.js";
import type { ProjectFile } from "../standards/simple-api.js";
import type { FetchRequest, StoreEntry } from "../store/store.js";
import { redactUrl } from "../util/redact.js";
import type { BundleRequest } from "./bundle.js";

export type GatherOptions = Pick<BundleRequest, "lock" | "lockDir" | "target" | "store" | "offline" | "client" | "log">;

/** Every selected wheel as a store entry: stored, imported from a lock-relative path, or fetched. */
export async function gatherWheels(req: GatherOptions, selected: SelectedPackage[]): Promise<Map<string, StoreEntry>> {
  const found = new Map<string, StoreEntry>();
  const missing: SelectedPackage[] = [];
  // Claimed for this build, all in one transaction: a concurrent gc's grace period now covers each entry
  // (and its tree) until the bundle's root is recorded, however old and unrooted it was.
  const claimed = req.store.claimAll(selected.map((pkg) => pkg.sha256));
  for (const [i, pkg] of selected.entries()) {
    const entry = claimed[i];
    if (!entry) {
      missing.push(pkg);
      continue;
    }
    found.set(pkg.sha256, entry);
  }
  if (missing.length === 0) return found;
  // All or nothing: every wheel is vetted (local ones here, fetched ones by fetchWheels) before the first
  // is added, so one hostile or corrupt wheel leaves the store exactly as it was.
  const local = missing.filter((p) => p.wheel.path !== undefined).map((pkg) => ({ pkg, source: resolve(req.lockDir, pkg.wheel.path!) }));
  for (const { pkg, source } of local) {
    req.log.info(`importing ${pkg.wheel.name} from ${pkg.wheel.path}`);
    await req.store.checkWheelFile(source, { filename: pkg.wheel.name, expectedSha256: pkg.sha256 });
  }
  const addLocal = async () => {
    for (const { pkg, source } of local)
      found.set(pkg.sha256, await req.store.addWheelFile(source, { filename: pkg.wheel.name, expectedSha256: pkg.sha256 }));
    return found;
  };
  const remote = missing.filter((p) => p.wheel.path === undefined);
  if (remote.length === 0) return addLocal();
  if (req.offline || !req.client) {
    throw new PystoreError(
      "OFFLINE_MISSING",
      `--offline: ${remote.length} wheel(s) needed for ${req.target.id} are not in the store: ${remote.map((p) => p.wheel.name).join(", ")}`,
      {
        hint: "run `pystore fetch` (or this command without --offline) where the index is reachable, or import the store with `pystore store import`",
        details: { missing: remote.map((p) => ({ name: p.name, wheel: p.wheel.name, sha256: p.sha256 })) },
      },
    );
  }
  const indexes = new Map(req.lock.packages.map((p) => [canonicalizeName(p.name), p.index]));
  // Checked before the client opens or anything is read: a file: URL only below a location the lock records.
  const locations = localLocations(req.lock, req.lockDir);
  for (const pkg of remote) if (pkg.wheel.url) checkLocalUrl(pkg.wheel.url, `${pkg.name} ${pkg.version}`, locations);
  const client = await req.client();
  const requests: FetchRequest[] = remote.map((pkg) => {
    if (!pkg.wheel.url) throw new PystoreError("INVALID_LOCK", `${pkg.name}: wheel ${pkg.wheel.name} has neither url nor path in the lock`);
    const file: ProjectFile = {
      filename: pkg.wheel.name,
      url: pkg.wheel.url,
      hashes: pkg.wheel.hashes,
      index: indexes.get(canonicalizeName(pkg.name)) ?? "",
    };
    if (pkg.wheel.size !== undefined) file.size = pkg.wheel.size;
    req.log.info(`fetching ${pkg.wheel.name} from ${redactUrl(pkg.wheel.url)}`);
    return { file, expected: { sha256: pkg.sha256, ...(pkg.wheel.size === undefined ? {} : { size: pkg.wheel.size }) } };
  });
  const entries = await req.store.fetchWheels(requests, client);
  for (const [i, pkg] of remote.entries()) found.set(pkg.sha256, entries[i]);
  return addLocal();
}
