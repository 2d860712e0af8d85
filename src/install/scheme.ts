// Where a wheel's members land (binary distribution format, "Installing a wheel"): install schemes,
// `.data/` mapping, RECORD paths relative to site-packages, and `#!python` script shebangs. Pure.

import { PystoreError } from "../errors.js";
import { checkRelativePath } from "../wheel/safety.js";

/** Where each install scheme lands, as paths relative to the destination root. */
export interface InstallScheme {
  purelib: string;
  platlib: string;
  scripts: string;
  data: string;
  headers: string;
}

/** A bundle has one site-packages for pure and platform code; scripts/data/headers sit beside it. */
export const BUNDLE_SCHEME: InstallScheme = {
  purelib: "site-packages",
  platlib: "site-packages",
  scripts: "scripts",
  data: "data",
  headers: "include",
};

/** Map a path inside the wheel to its root-relative install path, following the `.data/` scheme directories. */
export function installPath(
  archive: string,
  path: string,
  dataDir: string,
  rootScheme: string,
  scheme: InstallScheme,
): { target: string; key: string } {
  if (path.startsWith(`${dataDir}/`)) {
    const rest = path.slice(dataDir.length + 1);
    const slash = rest.indexOf("/");
    const key = slash < 0 ? rest : rest.slice(0, slash);
    if (!Object.hasOwn(scheme, key) || slash < 0) {
      throw new PystoreError(
        "UNSAFE_WHEEL",
        `${archive}: refusing archive entry ${JSON.stringify(path)}: unknown install scheme ${JSON.stringify(key)} in ${dataDir}/`,
        {
          hint: "known schemes are purelib, platlib, scripts, data and headers",
        },
      );
    }
    const inner = rest.slice(slash + 1);
    const base = scheme[key as keyof InstallScheme];
    const target = key === "headers" ? `${base}/${dataDir.replace(/-[^-]*\.data$/, "")}/${inner}` : `${base}/${inner}`;
    return { target: checkRelativePath(archive, target), key };
  }
  return { target: rootTarget(archive, path, rootScheme), key: "root" };
}

/**
 * Where a member outside `.data/` lands: under the root scheme. Joined by concatenation, then checked
 * (and normalised) whole: a ".." is refused rather than resolved away, as path.join would.
 */
export function rootTarget(archive: string, path: string, rootScheme: string): string {
  return checkRelativePath(archive, `${rootScheme}/${path}`);
}

/** `to` as a path relative to the directory `from` (both root-relative, "/"-separated). */
export function relativeToRoot(from: string, to: string): string {
  // The common case (a file under site-packages, relative to site-packages) without splitting.
  if (to.length > from.length + 1 && to.startsWith(from) && to[from.length] === "/") return to.slice(from.length + 1);
  const fromParts = from.split("/");
  const toParts = to.split("/");
  let common = 0;
  while (common < fromParts.length && common < toParts.length && fromParts[common] === toParts[common]) common++;
  return [...fromParts.slice(common).map(() => ".."), ...toParts.slice(common)].join("/");
}

/** A file directly in `<name>.data/scripts/` (installers put those, not subdirectories, on PATH). */
export function isTopLevelScript(path: string, dataDir: string): boolean {
  const prefix = `${dataDir}/scripts/`;
  return path.startsWith(prefix) && !path.slice(prefix.length).includes("/");
}

/** `#!python` / `#!pythonw` first lines become a real interpreter line; other scripts are left alone. */
export function rewriteShebang(data: Buffer, interpreter: string): Buffer | undefined {
  const match = /^#!pythonw?(\r?\n)/.exec(data.subarray(0, 16).toString("latin1"));
  if (!match) return undefined;
  return Buffer.concat([Buffer.from(`#!${interpreter}${match[1]}`), data.subarray(match[0].length)]);
}
