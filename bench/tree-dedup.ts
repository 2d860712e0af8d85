// What a per-file content store would save over today's one unpacked tree per wheel, measured on real trees.
//
// Usage: node tree-dedup.mjs [--json] VERSION_DIR VERSION_DIR [VERSION_DIR…]
// Each VERSION_DIR holds one directory (or a symlink to one) per package: an unpacked tree, e.g. a wheel's
// files or a Debian package's dist-packages. A package is compared when every VERSION_DIR holds it, oldest
// first. A file is shared only when its sha256 and its executable bit both match: a hardlinked inode has
// one mode. Build it with `npx esbuild bench/tree-dedup.ts --platform=node --format=esm
// --outfile=/tmp/tree-dedup.mjs` (or run it with tsx); it reads only the directories it is given.

import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";

const BLOCK = 4096;
const SMALL = 4096;

interface FileFact {
  key: string;
  size: number;
}

interface Tree {
  files: FileFact[];
  dirs: number;
  symlinks: number;
}

interface Row {
  name: string;
  files: number[];
  bytes: number[];
  /** Files (and their bytes) of a later version whose content an earlier version already has. */
  sharedFiles: number;
  sharedBytes: number;
  /** Same sha256 as an earlier version's file, but another executable bit: not shareable. */
  modeMismatch: number;
  treeBytes: number;
  treeAlloc: number;
  treeInodes: number;
  treeSmallBytes: number;
  /** A per-file store of each version on its own: what duplicates inside one tree already save. */
  aloneBytes: number;
  storeBytes: number;
  storeAlloc: number;
  storeInodes: number;
  storeSmallBytes: number;
  dirs: number;
  symlinks: number;
}

/** Disk blocks matter as much as bytes here: a 300-byte __init__.py still takes a 4 KiB block on ext4. */
const alloc = (size: number): number => Math.ceil(size / BLOCK) * BLOCK;

function readTree(root: string): Tree {
  const tree: Tree = { files: [], dirs: 0, symlinks: 0 };
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = lstatSync(path);
      if (st.isDirectory()) {
        tree.dirs += 1;
        walk(path);
      } else if (st.isSymbolicLink()) {
        // Wheels cannot hold symlinks; Debian's trees sometimes do. Counted, never shared.
        tree.symlinks += 1;
      } else if (st.isFile()) {
        const sha = createHash("sha256").update(readFileSync(path)).digest("hex");
        tree.files.push({ key: `${sha}${st.mode & 0o111 ? "x" : "-"}`, size: st.size });
      }
    }
  };
  walk(root);
  return tree;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function measure(name: string, versions: Tree[]): Row {
  const distinct = new Map<string, number>();
  const seenSha = new Set<string>();
  const row: Row = {
    name,
    files: versions.map((t) => t.files.length),
    bytes: versions.map((t) => sum(t.files.map((f) => f.size))),
    sharedFiles: 0,
    sharedBytes: 0,
    modeMismatch: 0,
    treeBytes: 0,
    treeAlloc: 0,
    treeInodes: 0,
    treeSmallBytes: 0,
    aloneBytes: 0,
    storeBytes: 0,
    storeAlloc: 0,
    storeInodes: 0,
    storeSmallBytes: 0,
    dirs: sum(versions.map((t) => t.dirs)),
    symlinks: sum(versions.map((t) => t.symlinks)),
  };
  versions.forEach((tree, index) => {
    const before = new Set(distinct.keys());
    row.aloneBytes += sum([...new Map(tree.files.map((f) => [f.key, f.size])).values()]);
    for (const file of tree.files) {
      row.treeBytes += file.size;
      row.treeAlloc += alloc(file.size);
      row.treeInodes += 1;
      if (file.size < SMALL) row.treeSmallBytes += file.size;
      if (index > 0 && before.has(file.key)) {
        row.sharedFiles += 1;
        row.sharedBytes += file.size;
      } else if (index > 0 && seenSha.has(file.key.slice(0, 64))) {
        row.modeMismatch += 1;
      }
      distinct.set(file.key, file.size);
    }
    for (const file of tree.files) seenSha.add(file.key.slice(0, 64));
  });
  for (const size of distinct.values()) {
    row.storeBytes += size;
    row.storeAlloc += alloc(size);
    row.storeInodes += 1;
    if (size < SMALL) row.storeSmallBytes += size;
  }
  return row;
}

const mb = (n: number): string => (n / 1e6).toFixed(1);
const pct = (saved: number, of: number): string => (of === 0 ? "-" : `${((100 * saved) / of).toFixed(1)}%`);

function table(rows: Row[]): string {
  const head = [
    "package",
    "files",
    "MB",
    "shared files",
    "shared MB",
    "tree MB",
    "alone MB",
    "file MB",
    "saved MB",
    "saved",
    "saved (4K blocks)",
    "small MB",
    "tree inodes",
    "file inodes",
  ];
  const body = rows.map((r) => [
    r.name,
    r.files.join("/"),
    r.bytes.map(mb).join("/"),
    String(r.sharedFiles),
    mb(r.sharedBytes),
    mb(r.treeBytes),
    mb(r.aloneBytes),
    mb(r.storeBytes),
    mb(r.treeBytes - r.storeBytes),
    pct(r.treeBytes - r.storeBytes, r.treeBytes),
    pct(r.treeAlloc - r.storeAlloc, r.treeAlloc),
    mb(r.treeSmallBytes),
    String(r.treeInodes),
    String(r.storeInodes),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

function total(rows: Row[], versions: number): Row {
  const t = measure("TOTAL (per package)", []);
  t.files = Array.from({ length: versions }, () => 0);
  t.bytes = Array.from({ length: versions }, () => 0);
  for (const r of rows) {
    r.files.forEach((n, i) => {
      t.files[i] += n;
      t.bytes[i] += r.bytes[i];
    });
    for (const k of Object.keys(t) as (keyof Row)[]) {
      const v = r[k];
      if (typeof v === "number") (t[k] as number) += v;
    }
  }
  return t;
}

function main(argv: string[]): void {
  const json = argv.includes("--json");
  const dirs = argv.filter((a) => a !== "--json");
  if (dirs.length < 2) {
    process.stderr.write("usage: tree-dedup [--json] VERSION_DIR VERSION_DIR [VERSION_DIR…]\n");
    process.exit(2);
  }
  const listings = dirs.map((d) => new Set(readdirSync(d).filter((n) => statSync(join(d, n)).isDirectory())));
  const names = [...listings[0]].filter((n) => listings.every((l) => l.has(n))).sort();
  const unpaired = new Set(listings.flatMap((l) => [...l]).filter((n) => !names.includes(n)));
  // Across packages too: the same LICENSE, py.typed or empty __init__.py is one file in a per-file store.
  const everywhere = new Map<string, { size: number; links: number }>();
  const rows: Row[] = [];
  for (const name of names) {
    const versions = dirs.map((d) => readTree(join(d, name)));
    for (const file of versions.flatMap((t) => t.files)) {
      const seen = everywhere.get(file.key);
      everywhere.set(file.key, { size: file.size, links: (seen?.links ?? 0) + 1 });
    }
    rows.push(measure(name, versions));
  }
  rows.sort((a, b) => b.treeBytes - a.treeBytes || a.name.localeCompare(b.name));
  const t = total(rows, dirs.length);
  const globalBytes = sum([...everywhere.values()].map((v) => v.size));
  const globalAlloc = sum([...everywhere.values()].map((v) => alloc(v.size)));
  const [maxKey, maxFile] = [...everywhere.entries()].reduce((a, b) => (b[1].links > a[1].links ? b : a), ["", { size: 0, links: 0 }]);
  const summary = {
    versions: dirs.map((d) => basename(d)),
    packages: names.length,
    unpaired: [...unpaired].sort(),
    treeBytes: t.treeBytes,
    treeAllocated: t.treeAlloc,
    treeFileInodes: t.treeInodes,
    treeSmallFileBytes: t.treeSmallBytes,
    directories: t.dirs,
    symlinks: t.symlinks,
    perPackageStoreBytes: t.storeBytes,
    perPackageStoreFileInodes: t.storeInodes,
    globalStoreBytes: globalBytes,
    globalStoreAllocated: globalAlloc,
    globalStoreFileInodes: everywhere.size,
    globalStoreSmallFileBytes: sum([...everywhere.values()].filter((v) => v.size < SMALL).map((v) => v.size)),
    sharedFiles: t.sharedFiles,
    sharedBytes: t.sharedBytes,
    modeMismatches: t.modeMismatch,
    mostLinkedFile: { key: maxKey, size: maxFile.size, links: maxFile.links },
  };
  if (json) {
    process.stdout.write(`${JSON.stringify({ summary, rows }, null, 2)}\n`);
    return;
  }
  const out = [
    `versions: ${summary.versions.join(" → ")}; ${names.length} packages in all of them (${unpaired.size} in only some: skipped)`,
    "",
    table([...rows, t]),
    "",
    `per-tree store (today): ${mb(t.treeBytes)} MB in ${t.treeInodes} file inodes (+${t.dirs} directories), ${mb(t.treeAlloc)} MB in 4 KiB blocks`,
    `per-file store of each version alone (duplicates inside one tree): ${mb(t.aloneBytes)} MB; across versions it saves ${mb(t.aloneBytes - t.storeBytes)} MB more`,
    `per-file store, shared within a package: ${mb(t.storeBytes)} MB in ${t.storeInodes} file inodes; saves ${mb(t.treeBytes - t.storeBytes)} MB (${pct(t.treeBytes - t.storeBytes, t.treeBytes)})`,
    `per-file store, shared across packages: ${mb(globalBytes)} MB in ${everywhere.size} file inodes, ${mb(globalAlloc)} MB in 4 KiB blocks; saves ${mb(t.treeBytes - globalBytes)} MB (${pct(t.treeBytes - globalBytes, t.treeBytes)}), ${pct(t.treeAlloc - globalAlloc, t.treeAlloc)} of blocks`,
    `small files (< 4 KiB): ${mb(t.treeSmallBytes)} MB in trees, ${mb(summary.globalStoreSmallFileBytes)} MB per file; same sha256 but another executable bit: ${t.modeMismatch}`,
    `most linked file: ${maxFile.links} links (${maxFile.size} bytes, ${maxKey.slice(0, 12)}…${maxKey.slice(-1)}); symlinks skipped: ${t.symlinks}`,
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}

main(process.argv.slice(2));
