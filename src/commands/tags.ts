// `pystore tags`: a target's id, PEP 508 marker environment and compatible tags (best first).

import type { Handler } from "./context.js";
import { loadTarget } from "../platform/target-loader.js";
import { sortKeysDeep } from "../util/stable-json.js";
import { targetSettings } from "./settings.js";

interface TagsOptions {
  platform: string;
  python?: string;
  json: boolean;
}

const handler: Handler<TagsOptions> = async (_args, options, ctx) => {
  const { platform, python } = targetSettings(options);
  const target = await loadTarget(platform, python, { cwd: ctx.cwd, env: ctx.env });
  const markers = sortKeysDeep(target.markers);
  if (options.json) {
    ctx.out(JSON.stringify({ target: target.id, python: target.python, markers, tags: target.tags }, null, 2));
    return 0;
  }
  const lines = [`target: ${target.id}`, `python: ${target.python}`, "markers:"];
  for (const [key, value] of Object.entries(markers)) lines.push(`  ${key}: ${JSON.stringify(value)}`);
  lines.push(`tags (${target.tags.length}, best first):`, ...target.tags);
  ctx.out(lines.join("\n"));
  return 0;
};

export default handler;
