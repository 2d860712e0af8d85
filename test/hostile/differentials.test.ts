// The structure rows marked `differential` are real differentials: Python's zipfile (what pip reads
// wheels with) and a second reader (yauzl, or a streaming reader walking local headers) see different
// members, different bytes, or one reads what the other refuses. pystore refuses them all at admission
// (wheel-reader tests; none is left to the readers of a member); the accepted neighbours read the same in
// all three.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCEPTED_WHEELS, HOSTILE_WHEELS } from "../../fixtures/hostile-wheels.js";
import { streamedNames } from "../../fixtures/hostile-zip.js";
import { tempDir } from "../helpers/temp.js";
import { MEMBER_CONTENT_IDS, pythonViews, yauzlView, type ZipView } from "./helpers.js";

const differential = HOSTILE_WHEELS.filter((r) => r.differential !== undefined);
const bytes = new Map([
  ...differential.map((r) => [r.id, r.bytes()] as const),
  ...ACCEPTED_WHEELS.map((w) => [`ok:${w.id}`, w.bytes()] as const),
]);
let views: Map<string, ZipView>;
let work: { path: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  work = await tempDir("zip-views");
  views = await pythonViews(work.path, bytes);
});
afterAll(() => work?.cleanup());

/** The members a reader could extract: the names whose bytes it read, and those bytes' digests. */
const readable = (v: ZipView) => (v.ok ? Object.entries(v.contents ?? {}).filter(([, h]) => !h.startsWith("error")) : []);

describe("differential rows", () => {
  it("include both kinds", () => {
    expect(new Set(differential.map((r) => r.differential))).toEqual(new Set(["python-vs-yauzl", "python-vs-stream"]));
  });

  it("are all refused at admission, none left to the readers of a member", () => {
    expect(differential.filter((r) => MEMBER_CONTENT_IDS.has(r.id))).toEqual([]);
  });

  it.each(differential.map((r) => [r.id, r] as const))("%s: two readers disagree", async (_id, row) => {
    const python = views.get(row.id)!;
    if (row.differential === "python-vs-yauzl") {
      const other = await yauzlView(bytes.get(row.id)!);
      expect(JSON.stringify(readable(python).sort())).not.toBe(JSON.stringify(readable(other).sort()));
    } else {
      const names = (python.names ?? []).slice().sort();
      expect(names).not.toEqual(streamedNames(bytes.get(row.id)!).sort());
    }
  });
});

describe("accepted neighbours", () => {
  it.each(ACCEPTED_WHEELS.map((w) => [w.id] as const))("%s: Python, yauzl and a streaming reader agree", async (id) => {
    const python = views.get(`ok:${id}`)!;
    const other = await yauzlView(bytes.get(`ok:${id}`)!);
    expect(python.ok).toBe(true);
    expect(readable(python).sort()).toEqual(readable(other).sort());
    expect(streamedNames(bytes.get(`ok:${id}`)!).sort()).toEqual(python.names!.slice().sort());
  });
});
