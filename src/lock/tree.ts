// `pystore tree`: a lock's dependency graph for one target, as the packages it installs with the chosen
// extras and groups, rooted at the root requirements; and inverted, the paths that bring one package in.
// Pure: the lock, the target and the selection are parameters.

import { PystoreError } from "../errors.js";
import { canonicalizeName } from "../standards/normalize.js";
import { formatMarker, parseRequirement, reduceMarker, type Requirement } from "../standards/pep508.js";
import type { Pylock, PylockPackage } from "../standards/pylock.js";
import type { Target } from "../standards/targets.js";
import { compareStrings } from "../util/order.js";
import { type SelectOptions, selectForTarget } from "./select.js";

export interface TreeNode {
  name: string;
  version: string;
  /** For a root: the requirement that asks for it, as the lock records it (marker included). */
  requirement?: string;
  /** The package's marker in the lock: why it is installed only sometimes. */
  marker?: string;
  /** Shown in full elsewhere in the tree (its children are not repeated). */
  repeated?: boolean;
  children: TreeNode[];
}

export interface LockTree {
  target: string;
  /** The root's name (the project, or "requirements"). */
  root: string;
  nodes: TreeNode[];
}

function rootRequirements(lock: Pylock): Requirement[] {
  const table = lock.tool?.pystore as Record<string, unknown> | undefined;
  const texts = Array.isArray(table?.requirements) ? (table.requirements as unknown[]) : [];
  return texts.filter((t): t is string => typeof t === "string").map((t) => parseRequirement(t));
}

function rootName(lock: Pylock): string {
  const project = (lock.tool?.pystore as Record<string, unknown> | undefined)?.project;
  return typeof project === "string" ? project : "root";
}

/** The installed packages of `target`, each with the installed packages it depends on. */
function installedGraph(lock: Pylock, target: Target, opts: SelectOptions) {
  const selected = selectForTarget(lock, target, opts);
  const installed = new Map(selected.map((s) => [canonicalizeName(s.name), s]));
  const entryOf = new Map<string, PylockPackage>();
  for (const s of selected) {
    const pkg = lock.packages.find((p) => canonicalizeName(p.name) === canonicalizeName(s.name) && (p.version ?? s.version) === s.version);
    if (pkg) entryOf.set(canonicalizeName(s.name), pkg);
  }
  const childrenOf = (name: string): string[] =>
    [...new Set((entryOf.get(name)?.dependencies ?? []).map((d) => canonicalizeName(d.name)))]
      .filter((d) => installed.has(d) && d !== name)
      .sort(compareStrings);
  return { installed, entryOf, childrenOf };
}

export function lockTree(lock: Pylock, target: Target, opts: SelectOptions = {}): LockTree {
  const { installed, entryOf, childrenOf } = installedGraph(lock, target, opts);
  const ctx = { extras: opts.extras ?? [], dependency_groups: opts.groups ?? lock.defaultGroups };
  const shown = new Set<string>();
  const node = (name: string, path: string[]): TreeNode => {
    const s = installed.get(name)!;
    const marker = entryOf.get(name)?.marker;
    const out: TreeNode = { name: s.name, version: s.version, children: [], ...(marker ? { marker } : {}) };
    if (shown.has(name) || path.includes(name)) {
      out.repeated = true;
      return out;
    }
    shown.add(name);
    out.children = childrenOf(name).map((child) => node(child, [...path, name]));
    return out;
  };
  const roots: TreeNode[] = [];
  const seenRoots = new Set<string>();
  for (const req of rootRequirements(lock)) {
    const name = canonicalizeName(req.name);
    if (!installed.has(name) || seenRoots.has(name)) continue;
    if (req.marker && reduceMarker(req.marker, target.markers, ctx, { pythonPatch: target.fullVersionKnown === false }) === false) continue;
    seenRoots.add(name);
    const text = `${req.name}${req.extras.length ? `[${req.extras.join(",")}]` : ""}${req.specifier}${req.marker ? `; ${formatMarker(req.marker)}` : ""}`;
    roots.push({ ...node(name, []), requirement: text });
  }
  roots.sort((a, b) => compareStrings(canonicalizeName(a.name), canonicalizeName(b.name)));
  return { target: target.id, root: rootName(lock), nodes: roots };
}

/** Every path from a root requirement to `name`, as a tree growing from `name` towards the roots. */
export function invertedTree(lock: Pylock, target: Target, name: string, opts: SelectOptions = {}): LockTree {
  const { installed, entryOf, childrenOf } = installedGraph(lock, target, opts);
  const wanted = canonicalizeName(name);
  if (!installed.has(wanted)) {
    const locked = lock.packages.some((p) => canonicalizeName(p.name) === wanted);
    throw new PystoreError(
      "PACKAGE_NOT_FOUND",
      locked
        ? `${name} is locked but not installed on target ${target.id} with this selection`
        : `${name} is not in the lock (it has: ${[...installed.keys()].sort(compareStrings).join(", ") || "nothing"})`,
      { hint: locked ? "choose the extra or group that brings it in (--extra/--group), or another target" : undefined },
    );
  }
  const parentsOf = new Map<string, string[]>();
  for (const parent of installed.keys()) {
    for (const child of childrenOf(parent)) parentsOf.set(child, [...(parentsOf.get(child) ?? []), parent]);
  }
  const ctx = { extras: opts.extras ?? [], dependency_groups: opts.groups ?? lock.defaultGroups };
  const rootReqs = new Map<string, string>();
  for (const req of rootRequirements(lock)) {
    if (req.marker && reduceMarker(req.marker, target.markers, ctx, { pythonPatch: target.fullVersionKnown === false }) === false) continue;
    const text = `${req.name}${req.extras.length ? `[${req.extras.join(",")}]` : ""}${req.specifier}${req.marker ? `; ${formatMarker(req.marker)}` : ""}`;
    if (!rootReqs.has(canonicalizeName(req.name))) rootReqs.set(canonicalizeName(req.name), text);
  }
  const node = (pkg: string, path: string[]): TreeNode => {
    const s = installed.get(pkg)!;
    const marker = entryOf.get(pkg)?.marker;
    const out: TreeNode = { name: s.name, version: s.version, children: [], ...(marker ? { marker } : {}) };
    const requirement = rootReqs.get(pkg);
    if (requirement) out.requirement = requirement;
    if (path.includes(pkg)) {
      out.repeated = true;
      return out;
    }
    out.children = (parentsOf.get(pkg) ?? []).sort(compareStrings).map((p) => node(p, [...path, pkg]));
    return out;
  };
  return { target: target.id, root: rootName(lock), nodes: [node(wanted, [])] };
}

/** The tree as text, one package a line, with box-drawing branches. */
export function formatTree(tree: LockTree, opts: { inverted?: boolean } = {}): string {
  const lines = [`${tree.root} (${tree.target})`];
  const label = (n: TreeNode) => {
    const why = [n.requirement && `requirement ${n.requirement}`, n.marker && `marker ${n.marker}`].filter(Boolean).join("; ");
    return `${n.name} ${n.version}${n.repeated ? " (*)" : ""}${why ? `  [${why}]` : ""}`;
  };
  const walk = (nodes: TreeNode[], prefix: string) => {
    nodes.forEach((n, i) => {
      const last = i === nodes.length - 1;
      lines.push(`${prefix}${last ? "└── " : "├── "}${label(n)}`);
      walk(n.children, `${prefix}${last ? "    " : "│   "}`);
    });
  };
  if (opts.inverted) {
    for (const n of tree.nodes) {
      lines.push(label(n));
      walk(n.children, "");
    }
  } else walk(tree.nodes, "");
  return `${lines.join("\n")}\n`;
}
