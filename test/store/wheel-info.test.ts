// Reading what the store records out of a wheel: METADATA lookup by the wheel spec's rules.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import yazl from "yazl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel } from "../../fixtures/wheels.js";
import { readWheelInfo } from "../../src/store/wheel-info.js";
import { tempDir } from "./helpers.js";

let work: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("pystore-wheel-info-");
});
afterAll(() => work.cleanup());

describe("readWheelInfo", () => {
  it("reads name, version, tags, requires-python and dependencies", async () => {
    const w = await buildWheel(
      { name: "My.Pkg", version: "2.0", tags: "cp311-abi3-manylinux_2_17_x86_64", requiresPython: ">=3.9", requiresDist: ['six; python_version < "3"', "attrs>=20"] },
      work.path,
    );
    const info = await readWheelInfo(w.path, w.filename);
    expect(info).toMatchObject({ name: "my-pkg", version: "2.0", tag: "cp311-abi3-manylinux_2_17_x86_64", requiresPython: ">=3.9", metadata: w.metadata });
    expect(info.tags).toEqual(["cp311-abi3-manylinux_2_17_x86_64"]);
    expect(info.dependencies).toHaveLength(2);
    expect(info.dependencies[0]).toMatch(/^six ?; ?python_version ?< ?['"]3['"]$/);
  });

  it("picks the project's own .dist-info when a wheel carries another", async () => {
    const w = await buildWheel(
      { name: "picked", version: "1.0", rawEntries: [{ name: "vendored-9.9.dist-info/METADATA", data: "Metadata-Version: 2.1\nName: vendored\nVersion: 9.9\n\n" }] },
      join(work.path, "two"),
    );
    expect((await readWheelInfo(w.path, w.filename)).name).toBe("picked");
  });

  it("refuses a wheel whose METADATA names another project, or that has none at its root", async () => {
    const w = await buildWheel({ name: "honest", version: "1.0" }, join(work.path, "liar"));
    await expect(readWheelInfo(w.path, "other-1.0-py3-none-any.whl")).rejects.toMatchObject({ code: "INVALID_METADATA" });
    await expect(readWheelInfo(w.path, "not-a-wheel.zip")).rejects.toMatchObject({ code: "INVALID_WHEEL_FILENAME" });
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from("Name: x\n"), "deep/x-1.0.dist-info/METADATA");
    zip.end();
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
    const path = join(work.path, "x-1.0-py3-none-any.whl");
    await writeFile(path, Buffer.concat(chunks));
    await expect(readWheelInfo(path, "x-1.0-py3-none-any.whl")).rejects.toThrow(/no \*\.dist-info\/METADATA at its root/);
  });
});
