// `pystore tree`: the locked dependency graph per target (what it installs with the chosen extras and
// groups), or with --invert NAME, the requirements and packages that bring NAME in.

import { resolve as resolvePath } from "node:path";
import { PystoreError } from "../errors.js";
import { readLockFile } from "../lock/read-lock.js";
import { recordedInputs } from "../lock/recorded.js";
import { formatTree, invertedTree, type LockTree, lockTree } from "../lock/tree.js";
import { loadTarget } from "../platform/target-loader.js";
import type { Target } from "../standards/targets.js";
import type { Handler } from "./context.js";
import { selectionSettings } from "./settings.js";

interface TreeOptions {
  lock?: string;
  platform?: string;
  python?: string;
  invert?: string;
  extra?: string[];
  group?: string[];
  json?: boolean;
}

const handler: Handler<TreeOptions> = async (_args, options, ctx) => {
  const lockPath = resolvePath(ctx.cwd, options.lock ?? "pylock.toml");
  const { lock } = await readLockFile(lockPath);
  const load = (platform: string, python?: string) => loadTarget(platform, python, { cwd: ctx.cwd, env: ctx.env });
  let targets: Target[];
  if (options.platform || options.python) targets = [await load(options.platform ?? "host", options.python)];
  else {
    const recorded = recordedInputs(lock)?.targets ?? [];
    if (recorded.length === 0)
      throw new PystoreError("USAGE", `${lockPath} records no targets`, { hint: "name one: pystore tree --platform P --python X.Y" });
    targets = await Promise.all(recorded.map((t) => load(t.platform, t.python)));
  }
  const selection = selectionSettings(options);
  const trees: LockTree[] = targets.map((target) =>
    options.invert ? invertedTree(lock, target, options.invert, selection) : lockTree(lock, target, selection),
  );
  if (options.json) ctx.out(JSON.stringify({ lock: lockPath, trees }, null, 2));
  else ctx.out(trees.map((t) => formatTree(t, { inverted: options.invert !== undefined })).join("\n"));
  return 0;
};

export default handler;
