// Test helper: asks the machine's python3 (pip's vendored pypa/packaging) for tag lists, one process per
// test file, so our tag order is checked against the reference implementation tag for tag.

import { spawnSync } from "node:child_process";

export type OracleRequest =
  | { kind: "manylinux"; arch: string; glibc: [number, number]; python: [number, number] }
  | { kind: "musllinux"; arch: string; musl: [number, number]; python: [number, number] }
  | { kind: "mac"; arch: string; version: [number, number]; python: [number, number] }
  | { kind: "windows"; platform: string; python: [number, number] }
  | { kind: "host" };

// Platform lists come from packaging's own generators, aimed at the target by replacing the two probes
// that look at the running machine (glibc/musl version, ELF ABI check).
const SCRIPT = String.raw`
import json, sys
from pip._vendor.packaging import tags, _manylinux, _musllinux
from pip._internal.utils.compatibility_tags import get_supported

def patched(module, **replacements):
    saved = {name: getattr(module, name) for name in replacements}
    for name, value in replacements.items():
        setattr(module, name, value)
    return lambda: [setattr(module, name, value) for name, value in saved.items()]

def manylinux(arch, glibc):
    restore = patched(_manylinux, _get_glibc_version=lambda *a, **k: tuple(glibc), _have_compatible_abi=lambda *a, **k: True)
    try:
        try:
            return list(_manylinux.platform_tags("linux_" + arch, arch))
        except TypeError:
            return list(_manylinux.platform_tags([arch]))
    finally:
        restore()

def musllinux(arch, musl):
    restore = patched(_musllinux, _get_musl_version=lambda *a, **k: _musllinux._MuslVersion(*musl))
    try:
        try:
            return list(_musllinux.platform_tags(arch))
        except TypeError:
            return list(_musllinux.platform_tags([arch]))
    finally:
        restore()

def for_target(py, platforms):
    interp = "cp%d%d" % tuple(py)
    out = list(tags.cpython_tags(tuple(py), [interp], platforms))
    out += list(tags.compatible_tags(tuple(py), interp, platforms))
    return [str(t) for t in out]

results = []
for req in json.load(sys.stdin):
    k = req["kind"]
    if k == "manylinux":
        results.append(for_target(req["python"], manylinux(req["arch"], req["glibc"]) + ["linux_" + req["arch"]]))
    elif k == "musllinux":
        results.append(for_target(req["python"], musllinux(req["arch"], req["musl"]) + ["linux_" + req["arch"]]))
    elif k == "mac":
        results.append(for_target(req["python"], list(tags.mac_platforms(tuple(req["version"]), req["arch"]))))
    elif k == "windows":
        results.append(for_target(req["python"], [req["platform"]]))
    elif k == "host":
        from pip._vendor.packaging.markers import default_environment
        results.append({"sys_tags": [str(t) for t in tags.sys_tags()], "pip": [str(t) for t in get_supported()], "markers": default_environment()})
json.dump(results, sys.stdout)
`;

export interface HostAnswer {
  sys_tags: string[];
  /** pip's own supported-tag list (what `pip install` matches wheels against). */
  pip: string[];
  markers: Record<string, string>;
}

/**
 * Run every request through one python3 process; results come back in request order. Undefined when
 * the machine has no python3 with pip (callers skip the comparison then); any other failure throws.
 */
export function packagingTags(requests: OracleRequest[]): unknown[] | undefined {
  const run = spawnSync("python3", ["-c", SCRIPT], { input: JSON.stringify(requests), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (run.error || /No module named '?pip/.test(run.stderr)) return undefined;
  if (run.status !== 0) throw new Error(`python3 packaging oracle failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as unknown[];
}
