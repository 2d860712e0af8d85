// systemd service units for a bundle's executables (systemd.service(5), systemd.exec(5)).

import { PystoreError } from "../errors.js";

export interface UnitOptions {
  /** Where the bundle will live on the target machine, e.g. /opt/myapp. */
  prefix: string;
  user?: string;
  description?: string;
}

const SAFE_PREFIX = /^\/[A-Za-z0-9._/+@-]*$/;
const SAFE_USER = /^[a-z_][a-z0-9_-]*\$?$/i;

export function checkUnitOptions(opts: UnitOptions): void {
  if (!SAFE_PREFIX.test(opts.prefix) || opts.prefix.split("/").includes("..")) {
    throw new PystoreError(
      "USAGE",
      `--prefix ${JSON.stringify(opts.prefix)} must be an absolute path without spaces or "..", e.g. /opt/myapp`,
    );
  }
  if (opts.user !== undefined && !SAFE_USER.test(opts.user)) {
    throw new PystoreError("USAGE", `--user ${JSON.stringify(opts.user)} is not a valid user name`);
  }
}

/** One unit: runs OUT/bin/NAME from the installed prefix; the launcher's exec lets systemd signal Python directly. */
export function serviceUnit(bundleName: string, executable: string, opts: UnitOptions): string {
  checkUnitOptions(opts);
  const prefix = opts.prefix.replace(/\/+$/, "");
  const lines = [
    "[Unit]",
    `Description=${opts.description ?? `${bundleName}: ${executable}`} (pystore bundle)`,
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${prefix}/bin/${executable}`,
    `WorkingDirectory=${prefix}`,
    "Restart=on-failure",
    "RestartSec=2",
    ...(opts.user ? [`User=${opts.user}`] : []),
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ];
  return lines.join("\n");
}
