// Benchmark workload data: a generated, deterministic index of ~60 projects × 5 versions with a
// layered dependency graph (diamonds, extras, markers, binary wheels, two backtracking traps).

import { join } from "node:path";
import { buildWheel, type BuiltWheel, type WheelSpec } from "../fixtures/wheels.js";
import { prng } from "../fixtures/prng.js";

const VERSIONS = ["1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.1.0"];

// Spellings vary on purpose (case, "_", ".") so both tools exercise PEP 503 normalization.
const WORDS = [
  "core",
  "attrs_lite",
  "six.compat",
  "idna-mini",
  "certs",
  "charset",
  "Colorama",
  "tz-data",
  "dateparse",
  "fsspec-lite",
  "ujson-ish",
  "yamlish",
  "tomlkit-lite",
  "markup",
  "jinja-mini",
  "click-lite",
  "rich_text",
  "pygments-lite",
  "wcwidth",
  "platformdirs-lite",
  "filelock",
  "packaging-lite",
  "pyparse",
  "decorator",
  "wrapt-lite",
  "deprecated",
  "cachetools",
  "multidict",
  "yarl-lite",
  "frozenlist",
  "aiosignal",
  "async_timeout",
  "httpcore-lite",
  "h11-lite",
  "anyio-lite",
  "sniffio",
  "httpx-lite",
  "requests-lite",
  "urllib-mini",
  "Pydantic-lite",
  "annotated",
  "typing_ext",
  "validators",
  "marshmallow",
  "sqlalchemy-lite",
  "greenlet-ish",
  "alembic-lite",
  "mako-lite",
  "psycopg-ish",
  "redis-lite",
  "webapp",
  "worker",
  "api-server",
  "cli-tool",
  "etl-jobs",
  "dashboard",
  "notifier",
  "scheduler",
  "exporter",
  "admin.panel",
];

/** Layers: leaves, libraries, frameworks, applications (a dependency always points to a lower layer). */
const LAYERS = [
  [0, 15],
  [15, 35],
  [35, 50],
  [50, 60],
] as const;

/** Projects whose wheels are binary (three platforms each, like numpy-style projects). */
const BINARY = new Set([5, 10, 26, 45]);
const BINARY_TAGS = [
  "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
  "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
  "cp311-cp311-win_amd64",
];

function layerOf(index: number): number {
  return LAYERS.findIndex(([from, to]) => index >= from && index < to);
}

// Constraints that every version intersection can satisfy: lower bounds below 2.0 or caps at 3.
const SPECIFIERS = ["", ">=1.0", ">=1.1", ">=1.0,<3", "!=1.2.0", ">=1.1.0,!=2.0.0"];

export interface BenchGraph {
  specs: WheelSpec[];
  /** Root requirements passed to both tools. */
  roots: string[];
  projects: number;
}

/** A module body of realistic size (~1.5 KB) so installs move some bytes. */
function moduleText(name: string, version: string, n: number): string {
  const lines = [`"""${name} ${version}: generated module ${n} for the pystore benchmark."""`, "", "import os", "import sys", ""];
  for (let f = 0; f < 12; f++) {
    lines.push(
      `def function_${f}(value, *args, **kwargs):`,
      `    """Return a value derived from ${name}.${n}.${f}."""`,
      `    return (value, ${f}, len(args), sorted(kwargs))`,
      "",
    );
  }
  return lines.join("\n");
}

export function generateGraph(seed = 20240601): BenchGraph {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const specs: WheelSpec[] = [];
  // Stable per-project dependency lists (later versions add one), so diamonds are real and shared.
  const baseDeps: number[][] = WORDS.map((_, i) => {
    const layer = layerOf(i);
    if (layer === 0) return [];
    const below = LAYERS[layer - 1];
    const count = 2 + Math.floor(random() * (layer === 3 ? 4 : 3));
    const deps = new Set<number>();
    // Mostly the layer just below, sometimes anything lower: that makes diamonds.
    while (deps.size < count)
      deps.add(random() < 0.7 ? below[0] + Math.floor(random() * (below[1] - below[0])) : Math.floor(random() * below[1]));
    return [...deps].sort((a, b) => a - b);
  });
  const depSpec = new Map<string, string>();
  for (const [i, word] of WORDS.entries()) {
    for (const [v, version] of VERSIONS.entries()) {
      const deps = [...baseDeps[i]];
      if (v >= 3 && layerOf(i) > 0) {
        const extra = Math.floor(random() * LAYERS[layerOf(i) - 1][1]);
        if (!deps.includes(extra)) deps.push(extra);
      }
      const requiresDist = deps.map((d) => {
        const key = `${i}:${d}`;
        if (!depSpec.has(key)) depSpec.set(key, pick(SPECIFIERS));
        return `${WORDS[d]}${depSpec.get(key)}`;
      });
      const spec: WheelSpec = { name: word, version, requiresDist, files: {} };
      const module = word.toLowerCase().replace(/[-.]+/g, "_");
      for (let m = 0; m < 8; m++) spec.files![`${module}/${m === 0 ? "__init__" : `mod_${m}`}.py`] = moduleText(word, version, m);
      specs.push(spec);
    }
  }
  const byName = (name: string, version: string) => specs.find((s) => s.name === name && s.version === version)!;

  // Markers that never hold on CPython 3.11/Linux: both tools must evaluate and skip them.
  for (const version of VERSIONS) {
    byName("webapp", version).requiresDist!.push('typing_ext>=1.0; python_version < "3.8"', 'Colorama; sys_platform == "win32"');
  }
  // An extra pulled through a diamond: dashboard asks for rich_text[speedups].
  for (const version of VERSIONS) {
    const rich = byName("rich_text", version);
    rich.providesExtra = ["speedups"];
    rich.requiresDist!.push('ujson-ish>=1.1; extra == "speedups"');
    byName("dashboard", version).requiresDist!.push("rich_text[speedups]>=1.0");
  }
  // Requires-Python: the oldest "core" is Python 2 only, the newest "sniffio" needs a future Python.
  byName("core", "1.0.0").requiresPython = ">=2.7,<3";
  byName("sniffio", "2.1.0").requiresPython = ">=3.99";

  // Trap 1: the newest worker wants certs>=2 but api-server (every version) caps certs<2, so the
  // resolver must step back to worker 2.0.0.
  byName("worker", "2.1.0").requiresDist!.push("certs>=2.0");
  for (const version of VERSIONS) byName("api-server", version).requiresDist!.push("certs<2");
  // Trap 2, one level down: the newest two httpx-lite pin h11-lite<1.1, which etl-jobs (all versions)
  // rules out; the only way out is httpx-lite 1.2.0.
  for (const version of ["2.0.0", "2.1.0"]) byName("httpx-lite", version).requiresDist!.push("h11-lite<1.1");
  for (const version of VERSIONS) {
    byName("etl-jobs", version).requiresDist!.push("h11-lite>=1.1", "httpx-lite>=1.0");
  }

  const built = specs.flatMap((s, index) => {
    const projectIndex = Math.floor(index / VERSIONS.length);
    return BINARY.has(projectIndex) ? BINARY_TAGS.map((tags) => ({ ...s, tags })) : [s];
  });
  const roots = [
    "webapp>=1.0",
    "worker",
    "api-server",
    "cli-tool>=1.1",
    "etl-jobs",
    "dashboard",
    "notifier",
    "scheduler",
    "exporter",
    "admin.panel",
  ];
  return { specs: built, roots, projects: WORDS.length };
}

export async function buildGraphWheels(graph: BenchGraph, dir: string): Promise<BuiltWheel[]> {
  const wheels: BuiltWheel[] = [];
  // Sequential: 300-odd small zips, and the bench machine is shared.
  for (const spec of graph.specs) wheels.push(await buildWheel(spec, join(dir, "wheels")));
  return wheels;
}
