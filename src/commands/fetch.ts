// `pystore fetch`: download every locked wheel (or one target's) into the store, verifying size and
// sha256 against the lock, several at a time; registers a "fetch" root so gc keeps them. A lock its
// project has moved past is refused unless --frozen.

import { join, resolve as resolvePath } from "node:path";
import { fetchLocked } from "../app/fetch.js";
import type { Handler } from "./context.js";
import { appContext, type IndexFlags, indexRequest, lockUse, parseJobs, targetSettings, transportSettings } from "./settings.js";

interface FetchOptions extends IndexFlags {
  lock?: string;
  project?: string;
  frozen?: boolean;
  locked?: boolean;
  platform?: string;
  python?: string;
  jobs?: string;
  json?: boolean;
}

const handler: Handler<FetchOptions> = async (_args, options, ctx) => {
  const jobs = parseJobs(options.jobs);
  const use = lockUse(options);
  const projectDir = options.project === undefined ? undefined : resolvePath(ctx.cwd, options.project);
  const lockPath = resolvePath(ctx.cwd, options.lock ?? join(projectDir ?? ".", "pylock.toml"));
  const wheels = await fetchLocked(
    {
      lockPath,
      target: options.platform || options.python ? targetSettings(options) : undefined,
      jobs,
      index: indexRequest(options, ctx.env),
      transport: transportSettings(options, ctx.env),
      projectDir,
      lockUse: use,
    },
    appContext(ctx),
  );
  if (options.json) ctx.out(JSON.stringify({ lock: lockPath, wheels }, null, 2));
  else for (const r of wheels) ctx.out(`${r.sha256}  ${r.filename}`);
  return 0;
};

export default handler;
