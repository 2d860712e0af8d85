// `pystore bundle verify OUT`: compare a bundle directory, .pyz or tar.gz with its manifest; exit 1 naming what differs.

import { resolve } from "node:path";
import type { Handler } from "./context.js";
import { EXIT, PystoreError } from "../errors.js";
import { MANIFEST_FILE, isClean } from "../bundle/manifest.js";
import { detectFormat } from "../bundle/formats/registry.js";

interface VerifyOptions {
  json: boolean;
}

const handler: Handler<VerifyOptions> = async (args, options, ctx) => {
  if (!args[0]) throw new PystoreError("USAGE", "bundle verify needs the bundle directory, .pyz or tar.gz");
  const dir = resolve(ctx.cwd, args[0]);
  // One stat and a few bytes decide the format (a tar.gz by its gzip magic, a .pyz by its name).
  const report = await (await detectFormat(dir)).verify(dir);
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

export default handler;
