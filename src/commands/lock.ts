// `pystore lock`: resolve the project's (or given) requirements for every target into pylock.toml;
// `--check` answers whether the existing lock is still fresh, without the network.

import { join, resolve as resolvePath } from "node:path";
import { lockProject } from "../app/lock.js";
import type { PinRequest } from "../app/lock-pythons.js";
import { PystoreError } from "../errors.js";
import { recordedPins } from "../lock/python-pins.js";
import type { Handler } from "./context.js";
import { appContext, type LockFlags, lockRequest, transportSettings } from "./settings.js";

interface LockOptions extends LockFlags {
  output?: string;
  upgrade?: boolean;
  upgradePackage?: string[];
  check?: boolean;
  json?: boolean;
  /** --embed-python [SHA256-PREFIX|PATH] (true without a value); false: --no-embed-python. */
  embedPython?: boolean | string;
}

/** The pins asked for: --embed-python [REF] pins, --no-embed-python drops, neither keeps the lock's. */
function pinRequest(flag: boolean | string | undefined): PinRequest {
  if (flag === undefined) return { kind: "keep" };
  if (flag === false) return { kind: "drop" };
  return { kind: "pin", ref: flag };
}

const handler: Handler<LockOptions> = async (args, options, ctx) => {
  const output = options.output ? resolvePath(ctx.cwd, options.output) : join(resolvePath(ctx.cwd, options.project ?? "."), "pylock.toml");

  if (options.check) {
    if (options.embedPython !== undefined)
      throw new PystoreError(
        "USAGE",
        `--${options.embedPython === false ? "no-" : ""}embed-python chooses what a lock pins; --check compares inputs only`,
        {
          hint: "run pystore lock --check alone (the pinned interpreters are not inputs)",
        },
      );
    // Loaded only here: checking brings the lock selector, which a re-lock does not need.
    const { checkProjectLock, staleLockError } = await import("../app/lock-check.js");
    // The lock's record stands in for this machine's PYSTORE_* variables: a CI host must not make it look stale.
    const reasons = await checkProjectLock(lockRequest(args, options, ctx.env, { environment: false, cwd: ctx.cwd }), output, ctx);
    if (options.json) ctx.out(JSON.stringify({ lock: output, fresh: reasons.length === 0, reasons }, null, 2));
    if (reasons.length > 0) {
      throw staleLockError(output, reasons);
    }
    ctx.log.info(`${output} is up to date`);
    return 0;
  }

  const result = await lockProject(
    {
      request: lockRequest(args, options, ctx.env, { cwd: ctx.cwd }),
      transport: transportSettings(options, ctx.env, { cwd: ctx.cwd }),
      output,
      upgrade: options.upgrade,
      upgradePackages: options.upgradePackage,
      pythons: pinRequest(options.embedPython),
    },
    appContext(ctx),
  );
  if (options.json) {
    ctx.out(
      JSON.stringify(
        {
          lock: output,
          changed: result.changed,
          changes: result.changes,
          packages: result.lock.packages.map((p) => ({ name: p.name, version: p.version, marker: p.marker ?? null })),
          pythons: recordedPins(result.lock),
        },
        null,
        2,
      ),
    );
  }
  return 0;
};

export default handler;
