// `pystore bundle`: parse the build's flags, bundle the project (src/app/bundle.ts), report what was written.

import { basename, join, resolve } from "node:path";
import { bundleProject } from "../app/bundle.js";
import type { BundleFormat } from "../bundle/bundle.js";
import { chooseFormat } from "../bundle/formats/registry.js";
import { PystoreError } from "../errors.js";
import { type LinkMode, linkModeFromEnv } from "../install/importer.js";
import { sourceDateEpoch } from "../util/archive-time.js";
import type { Handler } from "./context.js";
import { appContext, type IndexFlags, indexRequest, lockUse, targetSettings, transportSettings } from "./settings.js";

interface BundleOptions extends IndexFlags {
  lock?: string;
  platform: string;
  python?: string;
  project?: string;
  output?: string;
  format?: string;
  systemd: boolean;
  prefix?: string;
  user?: string;
  depScripts: boolean;
  offline: boolean;
  /** --copy: copy store files instead of hardlinking (a bundle sharing no inode with the store). */
  copy?: boolean;
  extra?: string[];
  group?: string[];
  frozen?: boolean;
  locked?: boolean;
  json: boolean;
}

/**
 * How the summary names one executable: a real path for a directory bundle; for archives a path inside
 * them, since `OUT.tar.gz/bin/x` is no file anyone can run.
 */
export function executableLine(format: BundleFormat, out: string, exe: string): string {
  if (format === "dir") return join(out, "bin", exe);
  const archive = basename(out);
  if (format === "tar.gz") return `bin/${exe} (inside ${archive})`;
  return `${exe} (inside ${archive}; run: python3 ${archive} ${exe})`;
}

const handler: Handler<BundleOptions> = async (_args, options, ctx) => {
  // Not a commander requiredOption: those are enforced on `bundle verify` too.
  if (!options.output) throw new PystoreError("USAGE", "bundle needs -o OUT (a directory, OUT.tar.gz or OUT.pyz)");
  const output = options.output;
  const format = chooseFormat(options.format, output);
  const use = lockUse(options);
  // --copy wins over PYSTORE_LINK_MODE: it is the explicit request for an independent bundle.
  const linkMode: LinkMode | undefined = options.copy ? "copy" : linkModeFromEnv(ctx.env);
  const { target, ...result } = await bundleProject(
    {
      out: resolve(ctx.cwd, output),
      format,
      lockPath: options.lock,
      projectDir: options.project === undefined ? undefined : resolve(ctx.cwd, options.project),
      target: targetSettings(options),
      systemd: options.systemd ? { prefix: options.prefix, user: options.user } : undefined,
      depScripts: options.depScripts,
      linkMode,
      extras: options.extra,
      groups: options.group,
      mtime: sourceDateEpoch(ctx.env),
      index: indexRequest(options, ctx.env),
      transport: transportSettings(options, ctx.env),
      lockUse: use,
    },
    appContext(ctx),
  );
  if (options.json) {
    ctx.out(JSON.stringify(result, null, 2));
  } else {
    const n = (count: number, one: string) => `${count} ${one}${count === 1 ? "" : "s"}`;
    const lines = [
      `bundled ${result.name} for ${target.id} into ${result.out} (${result.format}, ${n(result.packages.length, "package")}, ${n(result.files, "file")})`,
    ];
    for (const exe of result.executables) lines.push(`  ${executableLine(result.format, result.out, exe)}`);
    lines.push(`bundle hash: ${result.bundleHash}`);
    ctx.out(lines.join("\n"));
  }
  return 0;
};

export default handler;
