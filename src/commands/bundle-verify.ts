// `pystore bundle verify OUT`: compare a bundle directory, .pyz or tar.gz with its manifest; exit 1 naming what differs.

import { open, stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Handler } from "../cli/context.js";
import { EXIT, PystoreError } from "../errors.js";
import { MANIFEST_FILE, isClean, verifyBundle } from "../bundle/manifest.js";
import { verifyPyz } from "../bundle/verify-pyz.js";
import { isGzip, verifyTarGz } from "../bundle/verify-tar.js";

interface VerifyOptions {
  json: boolean;
}

const handler: Handler<VerifyOptions> = async (args, options, ctx) => {
  if (!args[0]) throw new PystoreError("USAGE", "bundle verify needs the bundle directory, .pyz or tar.gz");
  const dir = resolve(ctx.cwd, args[0]);
  const isFile = await stat(dir).then(
    (s) => s.isFile(),
    () => false,
  );
  // A tar.gz is known by its gzip magic, whatever its name; a .pyz by its suffix (it starts with a shebang).
  const gzip = isFile && isGzip(await readHead(dir));
  if (isFile && !gzip && !dir.endsWith(".pyz")) {
    throw new PystoreError("USAGE", `${dir}: bundle verify checks bundle directories, .pyz files and tar.gz archives`, {
      hint: "give the bundle directory, OUT.pyz or OUT.tar.gz",
    });
  }
  const report = gzip ? await verifyTarGz(dir) : isFile ? await verifyPyz(dir) : await verifyBundle(dir);
  if (options.json) {
    ctx.out(JSON.stringify({ bundle: dir, ok: isClean(report), ...report }, null, 2));
    return isClean(report) ? EXIT.ok : EXIT.checkFailed;
  }
  if (isClean(report)) {
    ctx.out(`${dir}: ok, every file matches ${MANIFEST_FILE}`);
    return EXIT.ok;
  }
  const lines = [
    ...report.changed.map((p) => `changed: ${p}`),
    ...report.missing.map((p) => `missing: ${p}`),
    ...report.extra.map((p) => `extra: ${p}`),
  ];
  ctx.out(lines.join("\n"));
  const summary = `${report.changed.length} changed, ${report.missing.length} missing, ${report.extra.length} extra`;
  throw new PystoreError(
    "BUNDLE_MODIFIED",
    `${dir} does not match its manifest (${summary}): ${lines.slice(0, 5).join("; ")}${lines.length > 5 ? "; …" : ""}`,
    {
      hint: "rebuild the bundle with `pystore bundle`; bundles are never edited in place",
      details: { ...report },
    },
  );
};

async function readHead(path: string): Promise<Buffer> {
  const file = await open(path, "r");
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await file.read(head, 0, 2, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

export default handler;
