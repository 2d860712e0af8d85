// A mirror-like wheel set for the fetch and bundle rows: the distributions installed in this machine's
// Python, packed back into wheels from their own RECORD (real file contents, real sizes, real .so files),
// deterministically (sorted members, fixed times). Built once and kept in a cache directory, so only the
// first bench run on a machine pays for the compression.

import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import yazl from "yazl";
import type { BuiltWheel } from "../fixtures/wheels.js";

const FIXED_MTIME = new Date("2020-01-01T00:00:00Z");

/** The interpreter's purelib directory (where pip installed the distributions we re-pack). */
export function sitePackages(python = "python3"): string {
  return execFileSync(python, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { encoding: "utf8" }).trim();
}

interface Distribution {
  distInfo: string;
  name: string;
  version: string;
  /** Members under site-packages (no .pyc, nothing outside it). */
  files: string[];
  bytes: number;
}

function listDistributions(site: string): Distribution[] {
  const out: Distribution[] = [];
  for (const distInfo of readdirSync(site)
    .filter((n) => n.endsWith(".dist-info"))
    .sort()) {
    let record: string;
    try {
      record = readFileSync(join(site, distInfo, "RECORD"), "utf8");
    } catch {
      continue;
    }
    const stem = distInfo.slice(0, -".dist-info".length);
    const dash = stem.lastIndexOf("-");
    const files: string[] = [];
    let bytes = 0;
    for (const line of record.split("\n")) {
      const path = line.split(",")[0];
      if (!path || path.startsWith("..") || path.startsWith("/") || path.endsWith(".pyc") || path.includes("__pycache__/")) continue;
      if (path === `${distInfo}/RECORD` || path.endsWith("/INSTALLER") || path.endsWith("/REQUESTED") || path.endsWith("/direct_url.json"))
        continue;
      try {
        const info = statSync(join(site, path));
        if (!info.isFile()) continue;
        bytes += info.size;
        files.push(path);
      } catch {
        /* listed but removed */
      }
    }
    if (!files.some((f) => f === `${distInfo}/METADATA`)) continue;
    out.push({ distInfo, name: stem.slice(0, dash), version: stem.slice(dash + 1), files: files.sort(), bytes });
  }
  return out;
}

/** Tags as the installed WHEEL file says (compressed), so binary distributions stay binary. */
function tagOf(site: string, distInfo: string): string {
  let text = "";
  try {
    text = readFileSync(join(site, distInfo, "WHEEL"), "utf8");
  } catch {
    return "py3-none-any";
  }
  const tags = [...text.matchAll(/^Tag:\s*(\S+)\s*$/gm)].map((m) => m[1].split("-"));
  if (tags.length === 0) return "py3-none-any";
  const part = (i: number) => [...new Set(tags.map((t) => t[i]))].sort().join(".");
  return `${part(0)}-${part(1)}-${part(2)}`;
}

async function packWheel(site: string, dist: Distribution): Promise<{ filename: string; bytes: Buffer; metadata: string }> {
  const recordPath = `${dist.distInfo}/RECORD`;
  const rows: string[] = [];
  const zip = new yazl.ZipFile();
  const metadata = readFileSync(join(site, dist.distInfo, "METADATA"), "utf8");
  for (const path of dist.files) {
    const data = readFileSync(join(site, path));
    rows.push(`${path},sha256=${createHash("sha256").update(data).digest("base64url")},${data.length}`);
    const mode = statSync(join(site, path)).mode & 0o111 ? 0o755 : 0o644;
    zip.addBuffer(data, path, { mtime: FIXED_MTIME, mode });
  }
  rows.push(`${recordPath},,`);
  zip.addBuffer(Buffer.from(`${rows.join("\n")}\n`), recordPath, { mtime: FIXED_MTIME, mode: 0o644 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  const filename = `${dist.name}-${dist.version}-${tagOf(site, dist.distInfo)}.whl`;
  return { filename, bytes: Buffer.concat(chunks), metadata };
}

export interface Mirror {
  wheels: BuiltWheel[];
  dir: string;
  totalBytes: number;
}

/**
 * The installed distributions, largest first up to `maxBytes` of installed files (0: all), as wheels in
 * `cacheDir`. A set already built there (same list of distributions) is reused.
 */
export async function buildMirror(cacheDir: string, opts: { maxBytes?: number; python?: string } = {}): Promise<Mirror> {
  const site = sitePackages(opts.python);
  let dists = listDistributions(site);
  if (opts.maxBytes) {
    // A spread of sizes: alternate from the large and small ends until the budget is spent.
    const bySize = [...dists].sort((a, b) => b.bytes - a.bytes || (a.distInfo < b.distInfo ? -1 : 1));
    const chosen: Distribution[] = [];
    let spent = 0;
    for (let lo = 0, hi = bySize.length - 1, big = true; lo <= hi; big = !big) {
      const d = big ? bySize[lo++] : bySize[hi--];
      if (spent + d.bytes > opts.maxBytes) continue;
      chosen.push(d);
      spent += d.bytes;
    }
    dists = chosen.sort((a, b) => (a.distInfo < b.distInfo ? -1 : 1));
  }
  const key = createHash("sha256")
    .update(JSON.stringify(dists.map((d) => [d.distInfo, d.files.length, d.bytes])))
    .digest("hex")
    .slice(0, 16);
  const dir = join(cacheDir, `mirror-${key}`);
  const listPath = join(dir, "wheels.json");
  if (!existsSync(listPath)) {
    const staging = `${dir}.tmp-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    const list: { filename: string; sha256: string; size: number; metadata: string }[] = [];
    for (const dist of dists) {
      const packed = await packWheel(site, dist);
      await writeFile(join(staging, packed.filename), packed.bytes);
      list.push({
        filename: packed.filename,
        sha256: createHash("sha256").update(packed.bytes).digest("hex"),
        size: packed.bytes.length,
        metadata: packed.metadata,
      });
    }
    await writeFile(join(staging, "wheels.json"), JSON.stringify(list));
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  }
  const list = JSON.parse(await readFile(listPath, "utf8")) as { filename: string; sha256: string; size: number; metadata: string }[];
  const wheels: BuiltWheel[] = [];
  for (const w of list) {
    const path = join(dir, w.filename);
    wheels.push({ ...w, path, bytes: await readFile(path) });
  }
  return { wheels, dir, totalBytes: wheels.reduce((a, w) => a + w.size, 0) };
}
