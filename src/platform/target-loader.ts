// Turns a --platform/--python pair into a Target: "host", a named platform, or a complete-platform file.

import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { PystoreError } from "../errors.js";
import type { MarkerEnvironment } from "../standards/pep508.js";
import { buildTarget, parsePlatformName, parsePythonVersion, targetFromCompletePlatform, type Target } from "../standards/targets.js";
import { detectHost } from "./host.js";

// Markers that describe the interpreter rather than the machine: replaced when --python overrides it.
const PYTHON_MARKERS = ["implementation_version", "python_full_version", "python_version"] as const;

export async function loadTarget(
  platform: string,
  python: string | undefined,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Target> {
  const env = opts.env ?? process.env;
  if (platform === "host") {
    const host = await detectHost({ env });
    if (python === undefined) {
      const version = `${host.version[0]}.${host.version[1]}`;
      // Validate the host's own version with the same rules and message as an explicit --python.
      parsePythonVersion(version);
      return buildTarget(host.spec, host.version, { fullVersion: host.fullVersion, markers: host.markers });
    }
    const parsed = parsePythonVersion(python);
    const sameInterpreter = parsed.version[0] === host.version[0] && parsed.version[1] === host.version[1];
    if (sameInterpreter && (parsed.full === undefined || parsed.full === host.fullVersion)) {
      return buildTarget(host.spec, host.version, { fullVersion: host.fullVersion, markers: host.markers });
    }
    // Another Python on this machine: keep what the machine reported, take the interpreter facts from --python.
    const machine: Partial<MarkerEnvironment> = { ...host.markers };
    for (const key of PYTHON_MARKERS) delete machine[key];
    return buildTarget(host.spec, parsed.version, { fullVersion: parsed.full, markers: machine });
  }
  if (platform.toLowerCase().endsWith(".json")) {
    const path = resolve(opts.cwd ?? process.cwd(), platform);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      throw new PystoreError(
        "INVALID_PLATFORM_FILE",
        `Cannot read complete platform file \`${platform}\`: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        {
          hint: "give a path to a pex-style complete platform JSON file (pex3 interpreter inspect --markers --tags)",
          cause: error,
        },
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new PystoreError("INVALID_PLATFORM_FILE", `Invalid complete platform \`${platform}\`: not JSON (${(error as Error).message})`, {
        cause: error,
      });
    }
    const target = targetFromCompletePlatform(json, platform);
    if (python !== undefined && parsePythonVersion(python).version.join(".") !== target.python) {
      throw new PystoreError(
        "INVALID_TARGET",
        `--python ${python} conflicts with the complete platform \`${platform}\`, which is Python ${target.python}`,
        {
          hint: "drop --python: a complete platform names its own Python",
        },
      );
    }
    return target;
  }
  // Check the platform name before asking the host for a default Python, so a typo fails fast.
  const spec = parsePlatformName(platform);
  if (python === undefined) {
    const host = await detectHost({ env });
    python = `${host.version[0]}.${host.version[1]}`;
  }
  const parsed = parsePythonVersion(python);
  return buildTarget(spec, parsed.version, { fullVersion: parsed.full });
}
