// The ```sh blocks of a Markdown page (or of Markdown text), in order: what the docs tests run (```text
// blocks are shown only).

import { readFileSync } from "node:fs";

export function shellBlocks(path: string, opts: { text?: boolean } = {}): string[] {
  const blocks: string[] = [];
  const lines = (opts.text ? path : readFileSync(path, "utf8")).split("\n");
  let current: string[] | undefined;
  for (const line of lines) {
    if (current === undefined && line.trim() === "```sh") current = [];
    else if (current !== undefined && line.trim() === "```") {
      blocks.push(current.join("\n"));
      current = undefined;
    } else if (current !== undefined) current.push(line);
  }
  return blocks;
}
