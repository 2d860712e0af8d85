// `pystore export requirements`: one target's locked wheels as pip requirements with == pins and
// --hash lines, which `pip install --require-hashes --no-deps` accepts.

import { resolve as resolvePath } from "node:path";
import type { Handler } from "./context.js";
import { readLockFile } from "../lock/read-lock.js";
import { selectForTarget } from "../lock/select.js";
import { loadTarget } from "../platform/target-loader.js";
import { canonicalizeName } from "../standards/normalize.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { targetSettings } from "./settings.js";

interface ExportOptions {
  lock?: string;
  platform?: string;
  python?: string;
  output?: string;
}

const handler: Handler<ExportOptions> = async (_args, options, ctx) => {
  const lockPath = resolvePath(ctx.cwd, options.lock ?? "pylock.toml");
  const { lock } = await readLockFile(lockPath);
  const { platform, python } = targetSettings(options);
  const target = await loadTarget(platform, python, { cwd: ctx.cwd, env: ctx.env });
  const selected = selectForTarget(lock, target);
  const lines = [
    `# pystore export requirements for target ${target.id}`,
    "# install with: pip install --require-hashes --no-deps -r <this file>",
  ];
  for (const s of selected) lines.push(`${canonicalizeName(s.name)}==${s.version} \\`, `    --hash=sha256:${s.sha256}`);
  const body = `${lines.join("\n")}\n`;
  if (options.output) {
    await writeFileAtomic(resolvePath(ctx.cwd, options.output), body);
    ctx.log.info(`wrote ${options.output}: ${selected.length} requirement${selected.length === 1 ? "" : "s"} for ${target.id}`);
  } else ctx.out(body);
  return 0;
};

export default handler;
