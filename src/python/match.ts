// Whether a stored interpreter can run a target's bundle: implementation, X.Y, OS, machine and C library.
// Pure: the facts were probed when the interpreter was added, the target is a parameter.

import { compareVersions } from "../standards/pep440.js";
import { platformLibc } from "../standards/tags.js";
import type { Target } from "../standards/targets.js";
import type { PythonEntry, PythonFacts } from "../store/pythons.js";
import { compareStrings } from "../util/order.js";

const MACHINES: Record<string, string> = { amd64: "x86_64", x64: "x86_64", arm64: "aarch64" };
const IMPLEMENTATIONS: Record<string, string> = { cp: "cpython", pp: "pypy" };

const machineOf = (text: string) => MACHINES[text.toLowerCase()] ?? text.toLowerCase();

/** What the target asks of an interpreter, in the words a message uses. */
export interface PythonWanted {
  implementation: string;
  python: string;
  os: string;
  machine: string;
  /** undefined: any C library (the target does not name one). */
  libc?: "glibc" | "musl";
}

export function wantedFor(target: Target): PythonWanted {
  const libc = platformLibc(target.platform)?.kind;
  return {
    implementation: IMPLEMENTATIONS[target.implementation] ?? target.implementation,
    python: target.python,
    os: target.markers.sys_platform,
    machine: machineOf(target.markers.platform_machine),
    ...(libc ? { libc } : {}),
  };
}

/** Each way `facts` differs from `wanted`, as "machine aarch64 (target: x86_64)"; empty when it fits. */
export function pythonMismatches(facts: PythonFacts, wanted: PythonWanted): string[] {
  const out: string[] = [];
  if (facts.implementation !== wanted.implementation) out.push(`implementation ${facts.implementation} (target: ${wanted.implementation})`);
  if (facts.python !== wanted.python) out.push(`Python ${facts.python} (target: ${wanted.python})`);
  if (facts.os !== wanted.os) out.push(`OS ${facts.os} (target: ${wanted.os})`);
  if (machineOf(facts.machine) !== wanted.machine) out.push(`machine ${facts.machine} (target: ${wanted.machine})`);
  if (wanted.libc && facts.libc !== wanted.libc) out.push(`C library ${facts.libc ?? "unknown"} (target: ${wanted.libc})`);
  return out;
}

/** "cpython 3.11 linux x86_64 glibc": the target's needs in one line. */
export function describeWanted(wanted: PythonWanted): string {
  return [wanted.implementation, wanted.python, wanted.os, wanted.machine, wanted.libc ?? "any libc"].join(" ");
}

/** "cpython 3.11.2 linux x86_64 glibc": an interpreter in one line. */
export function describeFacts(facts: PythonFacts): string {
  return [facts.implementation, facts.version, facts.os, facts.machine, facts.libc ?? "no libc"].join(" ");
}

/** The entries that fit, best first: the newest version, then by sha256 so the choice never depends on order. */
export function matchingPythons(entries: PythonEntry[], wanted: PythonWanted): PythonEntry[] {
  return entries
    .filter((e) => pythonMismatches(e, wanted).length === 0)
    .sort((a, b) => {
      let byVersion = 0;
      try {
        byVersion = compareVersions(b.version, a.version);
      } catch {
        byVersion = compareStrings(b.version, a.version);
      }
      return byVersion || compareStrings(a.sha256, b.sha256);
    });
}
