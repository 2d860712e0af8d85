// The PubGrub core (Weizenbaum's algorithm: unit propagation, conflict-driven clause learning,
// backjumping) over finite version universes. Pure: package data comes from a SolverSource.

import { PystoreError } from "../errors.js";
import { NOT_SELECTED, bitsWhere, isPositive, makeUniverse, popcount, versionBit, versionsIn, type Term, type Universe } from "./terms.js";
import type { Marker } from "../standards/pep508.js";

export type Cause =
  | { kind: "root" }
  | { kind: "dependency"; from: string; fromSet: bigint; to: string; matches: bigint }
  | { kind: "unavailable"; reason: string; noWheel?: { wheels: string[]; target: string } }
  | { kind: "no-versions" }
  | { kind: "conflict"; left: Incompatibility; right: Incompatibility };

export interface Incompatibility {
  id: number;
  terms: Term[];
  cause: Cause;
}

export interface PackageInfo {
  display: string;
  /** Every known version, ascending. */
  versions: string[];
  /** Versions that exist but cannot be used on this target, grouped by reason. */
  unavailable: { versions: string[]; reason: string; noWheel?: { wheels: string[]; target: string } }[];
}

export interface Dependency {
  key: string;
  /** Which of the dependency's versions satisfy the requirement. */
  matches(version: string): boolean;
  /** The requirement as written, for explanations ("b>=1"). */
  label: string;
  /** A constraint (-c): limits the versions if the package is selected, never selects it. */
  constraint?: boolean;
  /**
   * The part of the requirement's marker the target could not decide (chosen extras or groups, the patch
   * level): the solver treats the edge as present; the lock installs the package only where this holds.
   */
  when?: Marker;
}

export interface SolverSource {
  rootKey: string;
  packageInfo(key: string): Promise<PackageInfo>;
  /** Dependencies of one version, or why that version turned out unusable (e.g. its metadata's Requires-Python). */
  dependencies(key: string, version: string): Promise<{ deps: Dependency[] } | { unavailable: string }>;
  /** Pick a version among `candidates` (ascending, all allowed): the existing lock's, else the newest. */
  choose(key: string, candidates: string[]): string;
  /** A package was first seen: a chance to start fetching its likely metadata. */
  prefetch?(key: string, candidates: string[]): void;
}

interface Assignment {
  pkg: string;
  set: bigint;
  level: number;
  decision: boolean;
  cause?: Incompatibility;
}

export class SolveFailure extends Error {
  constructor(
    readonly incompatibility: Incompatibility,
    readonly universes: Map<string, Universe>,
    readonly labels: Map<string, string>,
  ) {
    super("no solution");
  }
}

/** How much work a solve took: for tests that guard against duplicated work and for profiling. */
export interface SolverStats {
  decisions: number;
  incompatibilities: number;
  checks: number;
  backtracks: number;
}

export class Solver {
  readonly stats: SolverStats = { decisions: 0, incompatibilities: 0, checks: 0, backtracks: 0 };
  /** Every decision in order, as "key==version": the same inputs must give the same trace. */
  readonly trace: string[] = [];
  readonly universes = new Map<string, Universe>();
  /** "pkg:bits" → the requirement text that produced that set, for explanations. */
  readonly labels = new Map<string, string>();
  private readonly incompatsByPkg = new Map<string, Incompatibility[]>();
  private readonly registered = new Map<string, Promise<PackageInfo>>();
  private readonly admitted = new Set<string>();
  /** "key@version" whose dependencies are already incompatibilities: re-deciding it adds nothing again. */
  private readonly expanded = new Set<string>();
  private assignments: Assignment[] = [];
  private acc = new Map<string, bigint>();
  private decided = new Map<string, string>();
  private level = 0;
  private nextId = 0;
  /** Packages in the order they were admitted (src/resolver/solver.ts `admit`): the decision tie-break. */
  private readonly order = new Map<string, number>();
  /** Packages that must be selected and have no version yet, with their candidate counts: what `decide` chooses from. */
  private pending = new Map<string, number>();

  constructor(private readonly source: SolverSource) {}

  async solve(): Promise<Map<string, string>> {
    const root = this.source.rootKey;
    await this.admit([root]);
    this.addIncompat([{ pkg: root, set: NOT_SELECTED }], { kind: "root" });
    let next: string | undefined = root;
    while (next !== undefined) {
      this.propagate(next);
      next = await this.decide();
    }
    return new Map(this.decided);
  }

  private full(pkg: string): bigint {
    return this.universes.get(pkg)!.full;
  }

  /** Fetch a package's versions (once); nothing the solver sees changes until `admit`. */
  private register(key: string): Promise<PackageInfo> {
    let pending = this.registered.get(key);
    if (!pending) {
      pending = this.source.packageInfo(key).then((info) => {
        this.universes.set(key, makeUniverse(key, info.display, info.versions));
        const blocked = new Set(info.unavailable.flatMap((g) => g.versions));
        // Only a head start on fetching: what the solver does never depends on when this runs.
        this.source.prefetch?.(
          key,
          info.versions.filter((v) => !blocked.has(v)),
        );
        return info;
      });
      this.registered.set(key, pending);
    }
    return pending;
  }

  /**
   * Make registered packages known to the solver, in the order given (the order their dependents list
   * them), never in the order index responses happened to arrive: incompatibility order and the
   * decision tie-break both follow from here, so the same inputs always take the same path.
   */
  private async admit(keys: string[]): Promise<void> {
    const infos = await Promise.all(keys.map((key) => this.register(key)));
    keys.forEach((key, i) => {
      if (this.admitted.has(key)) return;
      this.admitted.add(key);
      this.order.set(key, this.order.size);
      const u = this.universes.get(key)!;
      for (const group of infos[i].unavailable) {
        let bits = 0n;
        for (const v of group.versions) bits |= versionBit(u, v);
        if (bits !== 0n) this.addIncompat([{ pkg: key, set: bits }], { kind: "unavailable", reason: group.reason, noWheel: group.noWheel });
      }
    });
  }

  private addIncompat(rawTerms: Term[], cause: Cause): Incompatibility {
    // A term allowing every state always holds; dropping it keeps "satisfied" meaningful.
    const terms = rawTerms.filter((t) => t.set !== this.full(t.pkg));
    const inc: Incompatibility = { id: this.nextId++, terms, cause };
    this.stats.incompatibilities++;
    for (const t of terms) {
      let list = this.incompatsByPkg.get(t.pkg);
      if (!list) {
        list = [];
        this.incompatsByPkg.set(t.pkg, list);
      }
      list.push(inc);
    }
    return inc;
  }

  private relation(t: Term): "satisfied" | "contradicted" | "inconclusive" {
    const full = this.full(t.pkg);
    const s = this.acc.get(t.pkg) ?? full;
    if ((s & (full ^ t.set)) === 0n) return "satisfied";
    if ((s & t.set) === 0n) return "contradicted";
    return "inconclusive";
  }

  /** undefined: nothing to do; null: satisfied (a conflict); a term: the one left to derive from. */
  private check(inc: Incompatibility): Term | null | undefined {
    this.stats.checks++;
    let open: Term | undefined;
    for (const t of inc.terms) {
      const r = this.relation(t);
      if (r === "contradicted") return undefined;
      if (r === "inconclusive") {
        if (open) return undefined;
        open = t;
      }
    }
    return open ?? null;
  }

  private assign(a: Assignment): void {
    this.assignments.push(a);
    const acc = (this.acc.get(a.pkg) ?? this.full(a.pkg)) & a.set;
    this.acc.set(a.pkg, acc);
    if (a.decision) {
      this.decided.set(a.pkg, versionsIn(this.universes.get(a.pkg)!, a.set)[0]);
      this.pending.delete(a.pkg);
    } else if ((acc & NOT_SELECTED) === 0n && !this.decided.has(a.pkg)) {
      this.pending.set(a.pkg, popcount(acc));
    }
  }

  private derive(t: Term, cause: Incompatibility): void {
    this.assign({ pkg: t.pkg, set: this.full(t.pkg) ^ t.set, level: this.level, decision: false, cause });
  }

  private propagate(start: string): void {
    const changed = new Set([start]);
    while (changed.size > 0) {
      const pkg = changed.values().next().value as string;
      changed.delete(pkg);
      const list = this.incompatsByPkg.get(pkg) ?? [];
      for (let i = list.length - 1; i >= 0; i--) {
        const inc = list[i];
        const result = this.check(inc);
        if (result === undefined) continue;
        if (result === null) {
          const learned = this.resolveConflict(inc);
          const term = this.check(learned);
          if (!term) throw new PystoreError("INTERNAL", "internal: learned incompatibility is not almost satisfied");
          this.derive(term, learned);
          changed.clear();
          changed.add(term.pkg);
          break;
        }
        this.derive(result, inc);
        changed.add(result.pkg);
      }
    }
  }

  private isFailure(inc: Incompatibility): boolean {
    if (inc.terms.length === 0) return true;
    return inc.terms.length === 1 && inc.terms[0].pkg === this.source.rootKey && isPositive(inc.terms[0]);
  }

  private resolveConflict(start: Incompatibility): Incompatibility {
    let inc = start;
    let learned = false;
    for (;;) {
      if (this.isFailure(inc)) throw new SolveFailure(inc, this.universes, this.labels);
      const { index, term, previousLevel } = this.findSatisfier(inc);
      const satisfier = this.assignments[index];
      if (satisfier.decision || previousLevel !== satisfier.level) {
        if (learned) {
          for (const t of inc.terms) this.incompatsByPkg.get(t.pkg)!.push(inc);
        }
        this.backtrack(previousLevel);
        return inc;
      }
      const cause = satisfier.cause!;
      const merged = new Map<string, bigint>();
      const add = (t: Term) => merged.set(t.pkg, (merged.get(t.pkg) ?? this.full(t.pkg)) & t.set);
      for (const t of inc.terms) if (t.pkg !== satisfier.pkg) add(t);
      for (const t of cause.terms) if (t.pkg !== satisfier.pkg) add(t);
      const full = this.full(satisfier.pkg);
      if ((satisfier.set & (full ^ term.set)) !== 0n) add({ pkg: satisfier.pkg, set: term.set | (full ^ satisfier.set) });
      const terms = [...merged.entries()].filter(([pkg, set]) => set !== this.full(pkg)).map(([pkg, set]) => ({ pkg, set }));
      inc = { id: this.nextId++, terms, cause: { kind: "conflict", left: inc, right: cause } };
      learned = true;
    }
  }

  private findSatisfier(inc: Incompatibility): { index: number; term: Term; previousLevel: number } {
    const satisfierOf = (t: Term, limit: number, extra = this.full(t.pkg)): number => {
      const full = this.full(t.pkg);
      let acc = full & extra;
      if ((acc & (full ^ t.set)) === 0n) return -1;
      for (let i = 0; i < limit; i++) {
        const a = this.assignments[i];
        if (a.pkg !== t.pkg) continue;
        acc &= a.set;
        if ((acc & (full ^ t.set)) === 0n) return i;
      }
      throw new PystoreError("INTERNAL", "internal: incompatibility term is not satisfied");
    };
    let index = -1;
    let term = inc.terms[0];
    const found = inc.terms.map((t) => satisfierOf(t, this.assignments.length));
    found.forEach((i, k) => {
      if (i > index) {
        index = i;
        term = inc.terms[k];
      }
    });
    let previousLevel = 1;
    found.forEach((i, k) => {
      if (inc.terms[k] !== term && i >= 0) previousLevel = Math.max(previousLevel, this.assignments[i].level);
    });
    const satisfier = this.assignments[index];
    const own = satisfierOf(term, index, satisfier.set);
    if (own >= 0) previousLevel = Math.max(previousLevel, this.assignments[own].level);
    return { index, term, previousLevel };
  }

  private backtrack(level: number): void {
    this.stats.backtracks++;
    this.assignments = this.assignments.filter((a) => a.level <= level);
    this.level = level;
    this.acc = new Map();
    this.decided = new Map();
    this.pending = new Map();
    const kept = this.assignments;
    this.assignments = [];
    for (const a of kept) this.assign(a);
  }

  /** Versions whose dependencies turned out unusable: their incompatibility is already in place. */
  private readonly unusable = new Set<string>();

  /** Add `pkg` `version`'s dependencies as incompatibilities; false when the version is unusable. */
  private async expand(pkg: string, version: string): Promise<boolean> {
    const u = this.universes.get(pkg)!;
    const result = await this.source.dependencies(pkg, version);
    if ("unavailable" in result) {
      this.unusable.add(`${pkg}@${version}`);
      this.addIncompat([{ pkg, set: versionBit(u, version) }], { kind: "unavailable", reason: result.unavailable });
      return false;
    }
    await this.admit(result.deps.map((d) => d.key));
    const bit = versionBit(u, version);
    // Requirements on the same package from one version combine (e.g. two marker-split lines).
    const byDep = new Map<string, { matches: bigint; labels: string[] }>();
    for (const dep of result.deps) {
      if (dep.key === pkg) continue;
      if (dep.constraint) {
        const du = this.universes.get(dep.key)!;
        const outside = du.full & ~NOT_SELECTED & ~bitsWhere(du, dep.matches);
        if (outside !== 0n) {
          const cause: Cause = {
            kind: "dependency",
            from: pkg,
            fromSet: bit,
            to: dep.key,
            matches: du.full & ~NOT_SELECTED & ~outside,
          };
          this.addIncompat(
            [
              { pkg, set: bit },
              { pkg: dep.key, set: outside },
            ],
            cause,
          );
        }
        continue;
      }
      const du = this.universes.get(dep.key)!;
      const matches = bitsWhere(du, dep.matches);
      const prev = byDep.get(dep.key);
      if (prev) {
        prev.matches &= matches;
        prev.labels.push(dep.label);
      } else byDep.set(dep.key, { matches, labels: [dep.label] });
    }
    for (const [key, { matches, labels }] of byDep) {
      this.labels.set(`${key}:${matches}`, labels.join(", "));
      this.addIncompat(
        [
          { pkg, set: bit },
          { pkg: key, set: this.full(key) ^ matches },
        ],
        { kind: "dependency", from: pkg, fromSet: bit, to: key, matches },
      );
    }
    return true;
  }

  /** Pick the next package and version; undefined when every selected package has a version. */
  private async decide(): Promise<string | undefined> {
    // Fewest candidates first (conflicts surface early), then the admission order: never arrival order.
    let best: { pkg: string; count: number; rank: number } | undefined;
    for (const [pkg, count] of this.pending) {
      const rank = this.order.get(pkg)!;
      if (!best || count < best.count || (count === best.count && rank < best.rank)) best = { pkg, count, rank };
    }
    if (!best) return undefined;
    const { pkg } = best;
    const u = this.universes.get(pkg)!;
    const set = this.acc.get(pkg)!;
    const candidates = versionsIn(u, set);
    if (candidates.length === 0) {
      this.addIncompat([{ pkg, set }], { kind: "no-versions" });
      return pkg;
    }
    const version = this.source.choose(pkg, candidates);
    const expandedKey = `${pkg}@${version}`;
    if (!this.expanded.has(expandedKey)) {
      // A version decided again after a backjump already has its incompatibilities (PubGrub keeps them):
      // adding them once keeps the clause set, and every later check, from growing with each backjump.
      this.expanded.add(expandedKey);
      if (!(await this.expand(pkg, version))) return pkg;
    } else if (this.unusable.has(expandedKey)) {
      return pkg;
    }
    this.level++;
    this.stats.decisions++;
    this.trace.push(`${pkg}==${version}`);
    this.assign({ pkg, set: versionBit(u, version), level: this.level, decision: true });
    return pkg;
  }
}
