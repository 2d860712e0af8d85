// `pystore fetch`: download every locked wheel (or one target's) into the store, verifying size and
// sha256 against the lock, several at a time; registers a "fetch" root so gc keeps them. A lock its
// project has moved past is refused unless --frozen.

import { join, resolve as resolvePath } from "node:path";
import { fetchLocked } from "../app/fetch.js";
import type { Handler } from "./context.js";
import { remoteStoreRefs } from "../oci/settings.js";
import {
  appContext,
  buildPythonSetting,
  type IndexFlags,
  indexRequest,
  lockUse,
  jobsSetting,
  type RemoteStoreFlags,
  remoteStoreRequest,
  selectionSettings,
  targetSettings,
  transportSettings,
} from "./settings.js";

interface FetchOptions extends IndexFlags, RemoteStoreFlags {
  lock?: string;
  project?: string;
  frozen?: boolean;
  locked?: boolean;
  platform?: string;
  python?: string;
  extra?: string[];
  group?: string[];
  jobs?: string;
  buildPython?: string;
  json?: boolean;
}

const handler: Handler<FetchOptions> = async (_args, options, ctx) => {
  const jobs = jobsSetting(options, ctx);
  const use = lockUse(options);
  const projectDir = options.project === undefined ? undefined : resolvePath(ctx.cwd, options.project);
  const lockPath = resolvePath(ctx.cwd, options.lock ?? join(projectDir ?? ".", "pylock.toml"));
  const remote = remoteStoreRequest(options, ctx.env);
  // A bad --push-to fails before anything is fetched.
  if (remote.pushTo) await remoteStoreRefs({ ...remote, flags: [remote.pushTo] }, undefined);
  const wheels = await fetchLocked(
    {
      lockPath,
      target: options.platform || options.python ? targetSettings(options) : undefined,
      jobs,
      index: indexRequest(options, ctx.env, { cwd: ctx.cwd }),
      transport: transportSettings(options, ctx.env, { cwd: ctx.cwd }),
      projectDir,
      lockUse: use,
      ...selectionSettings(options),
      remote,
      buildPython: buildPythonSetting(options, ctx.env, { cwd: ctx.cwd }),
    },
    appContext(ctx),
  );
  // --push-to: what was fetched goes to a registry as one closure, tagged by the lock's hash (and target).
  const pushed = remote.pushTo
    ? await (await import("./store-push.js")).pushFetched(ctx, options, lockPath, wheels, remote.pushTo)
    : undefined;
  if (options.json) ctx.out(JSON.stringify({ lock: lockPath, wheels, ...(pushed ? { pushed } : {}) }, null, 2));
  else for (const r of wheels) ctx.out(`${r.sha256}  ${r.filename}`);
  return 0;
};

export default handler;
