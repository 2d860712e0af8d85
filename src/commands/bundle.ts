// `pystore bundle`: parse the build's flags, bundle the project (src/app/bundle.ts), report what was written.

import { basename, join, resolve } from "node:path";
import { bundleProject } from "../app/bundle.js";
import type { BundleFormat } from "../bundle/bundle.js";
import { chooseFormat } from "../bundle/formats/registry.js";
import { imagePrefix } from "../bundle/image/entrypoint.js";
import { PystoreError } from "../errors.js";
import type { LinkMode } from "../install/importer.js";
import { sourceDateEpoch } from "../util/archive-time.js";
import { loadSources } from "../config/load.js";
import { resolveSetting } from "../config/resolve.js";
import type { CommandContext, Handler } from "./context.js";
import {
  appContext,
  buildPythonSetting,
  type IndexFlags,
  indexRequest,
  lockUse,
  type RemoteStoreFlags,
  remoteStoreRequest,
  targetSettings,
  transportSettings,
  linkModeSetting,
} from "./settings.js";

interface BundleOptions extends IndexFlags, RemoteStoreFlags {
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
  /** --embed-python [SHA256-PREFIX|PATH]; false: --no-embed-python */
  embedPython?: true | string | false;
  /** --compile / --no-compile */
  compile?: boolean;
  buildPython?: string;
  /** --format oci only */
  entrypoint?: string;
  baseImage?: string;
  push?: string;
}

/**
 * `compile` and `embed-python` below their flags: PYSTORE_COMPILE / PYSTORE_EMBED_PYTHON, the project's
 * files, the user file (docs/configuration.md); undefined when none sets it (the bundle then decides).
 */
function bundleDefault(key: "compile" | "embed-python", options: BundleOptions, ctx: CommandContext): boolean | undefined {
  const sources = loadSources({ env: ctx.env, projectDir: resolve(ctx.cwd, options.project ?? ".") });
  const setting = resolveSetting(key, sources);
  return setting.origin.kind === "default" ? undefined : (setting.value as boolean);
}

/**
 * How the summary names one executable: a real path for a directory bundle; for archives a path inside
 * them, since `OUT.tar.gz/bin/x` is no file anyone can run.
 */
export function executableLine(format: BundleFormat, out: string, exe: string, prefix?: string): string {
  if (format === "dir") return join(out, "bin", exe);
  const archive = basename(out);
  if (format === "oci") return `${prefix ?? ""}/bin/${exe} (inside the image ${archive})`;
  if (format === "tar.gz") return `bin/${exe} (inside ${archive})`;
  return `${exe} (inside ${archive}; run: python3 ${archive} ${exe})`;
}

const handler: Handler<BundleOptions> = async (_args, options, ctx) => {
  // Not a commander requiredOption: those are enforced on `bundle verify` too.
  if (!options.output) throw new PystoreError("USAGE", "bundle needs -o OUT (a directory, OUT.tar.gz, OUT.pyz or OUT.oci)");
  const output = options.output;
  const format = chooseFormat(options.format, output);
  const imageFlags = { "--entrypoint": options.entrypoint, "--base-image": options.baseImage, "--push": options.push };
  for (const [flag, value] of Object.entries(imageFlags))
    if (value !== undefined && format !== "oci")
      throw new PystoreError("USAGE", `${flag} needs an image bundle (--format oci, or -o OUT.oci)`);
  const use = lockUse(options);
  // The settings apply where they can: a .pyz or an image carries neither an interpreter nor bytecode.
  const carries = format === "dir" || format === "tar.gz";
  const embedPython = options.embedPython ?? (carries ? bundleDefault("embed-python", options, ctx) : undefined);
  const compile = options.compile ?? (carries ? bundleDefault("compile", options, ctx) : undefined);
  // --copy wins over PYSTORE_LINK_MODE: it is the explicit request for an independent bundle.
  const linkMode: LinkMode | undefined = linkModeSetting(options, ctx);
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
      index: indexRequest(options, ctx.env, { cwd: ctx.cwd }),
      transport: transportSettings(options, ctx.env, { cwd: ctx.cwd }),
      lockUse: use,
      remote: remoteStoreRequest(options, ctx.env),
      buildPython: buildPythonSetting(options, ctx.env, { cwd: ctx.cwd }),
      ...(embedPython !== undefined ? { embedPython } : {}),
      ...(compile !== undefined ? { compile } : {}),
      ...(format === "oci" ? { image: { prefix: options.prefix, entrypoint: options.entrypoint, baseImage: options.baseImage } } : {}),
    },
    appContext(ctx),
  );
  // Loaded only for --push: the registry client brings the index client and its HTML parser.
  const push = options.push === undefined ? undefined : await import("./bundle-push.js");
  const pushed = push && (await push.pushImage(ctx, options, result.out, options.push!));
  if (options.json) {
    ctx.out(JSON.stringify(pushed ? { ...result, pushed } : result, null, 2));
  } else {
    const n = (count: number, one: string) => `${count} ${one}${count === 1 ? "" : "s"}`;
    const lines = [
      `bundled ${result.name} for ${target.id} into ${result.out} (${result.format}, ${n(result.packages.length, "package")}, ${n(result.files, "file")})`,
    ];
    const prefix = result.format === "oci" ? imagePrefix(result.name, options.prefix) : undefined;
    for (const exe of result.executables) lines.push(`  ${executableLine(result.format, result.out, exe, prefix)}`);
    if (result.python)
      lines.push(`  python/: ${result.python.implementation} ${result.python.version} (embedded, ${result.python.sha256.slice(0, 12)})`);
    if (result.bytecode) lines.push(`  bytecode: unchecked-hash .pyc files, compiled by Python ${result.bytecode.compiler}`);
    lines.push(`bundle hash: ${result.bundleHash}`);
    if (push && pushed) lines.push(push.pushLine(pushed));
    ctx.out(lines.join("\n"));
  }
  return 0;
};

export default handler;
