// `pystore export requirements`: one target's locked wheels as pip requirements with == pins and
// --hash lines, which `pip install --require-hashes --no-deps` accepts.

import { resolve as resolvePath } from "node:path";
import type { Handler } from "./context.js";
import { readLockFile } from "../lock/read-lock.js";
import { selectForTarget } from "../lock/select.js";
import { loadTarget } from "../platform/target-loader.js";
import { canonicalizeName } from "../standards/normalize.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { selectionSettings, targetSettings } from "./settings.js";
import type { Pylock } from "../standards/pylock.js";

interface ExportOptions {
  lock?: string;
  platform?: string;
  python?: string;
  extra?: string[];
  group?: string[];
  output?: string;
  json?: boolean;
}

const handler: Handler<ExportOptions> = async (_args, options, ctx) => {
  const lockPath = resolvePath(ctx.cwd, options.lock ?? "pylock.toml");
  const { lock } = await readLockFile(lockPath);
  const { platform, python } = targetSettings(options);
  const target = await loadTarget(platform, python, { cwd: ctx.cwd, env: ctx.env });
  const selected = selectForTarget(lock, target, selectionSettings(options));
  const lines = [
    `# pystore export requirements for target ${target.id}`,
    "# install with: pip install --require-hashes --no-deps -r <this file>",
  ];
  for (const s of selected) {
    // A package pystore built from its sdist: pip downloads and hashes the sdist, not our wheel.
    const sdist = sdistSha256(lock, s.name, s.version);
    const hashes = sdist ? [s.sha256, sdist] : [s.sha256];
    lines.push(
      `${canonicalizeName(s.name)}==${s.version} \\`,
      ...hashes.map((h, i) => `    --hash=sha256:${h}${i < hashes.length - 1 ? " \\" : ""}`),
    );
  }
  const body = `${lines.join("\n")}\n`;
  const output = options.output === undefined ? undefined : resolvePath(ctx.cwd, options.output);
  if (output) {
    await writeFileAtomic(output, body);
    ctx.log.info(`wrote ${options.output}: ${selected.length} requirement${selected.length === 1 ? "" : "s"} for ${target.id}`);
  }
  if (options.json) {
    const requirements = selected.map((s) => ({
      name: canonicalizeName(s.name),
      version: s.version,
      sha256: s.sha256,
      wheel: s.wheel.name,
    }));
    ctx.out(JSON.stringify({ lock: lockPath, target: target.id, ...(output ? { output } : {}), requirements }, null, 2));
  } else if (!output) ctx.out(body);
  return 0;
};

export default handler;

/** The sha256 of the sdist a locked package was built from, if it was. */
function sdistSha256(lock: Pylock, name: string, version: string): string | undefined {
  const pkg = lock.packages.find((p) => canonicalizeName(p.name) === canonicalizeName(name) && (p.version ?? version) === version);
  const sdist = pkg?.sdist as { hashes?: { sha256?: unknown } } | undefined;
  const sha256 = sdist?.hashes?.sha256;
  return typeof sha256 === "string" ? sha256.toLowerCase() : undefined;
}
