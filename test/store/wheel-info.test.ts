// Reading what the store records out of a wheel: METADATA lookup by the wheel spec's rules.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import yazl from "yazl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel, wheelBytes } from "../../fixtures/wheels.js";
import { PystoreError } from "../../src/errors.js";
import { patchEntryName } from "../bundle/helpers.js";
import { readWheelInfo } from "../../src/store/wheel-info.js";
import { tempDir } from "../helpers/temp.js";

let work: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  work = await tempDir("wheel-info");
});
afterAll(() => work.cleanup());

describe("readWheelInfo", () => {
  it("reads name, version, tags, requires-python and dependencies", async () => {
    const w = await buildWheel(
      {
        name: "My.Pkg",
        version: "2.0",
        tags: "cp311-abi3-manylinux_2_17_x86_64",
        requiresPython: ">=3.9",
        requiresDist: ['six; python_version < "3"', "attrs>=20"],
      },
      work.path,
    );
    const info = await readWheelInfo(w.path, w.filename);
    expect(info).toMatchObject({
      name: "my-pkg",
      version: "2.0",
      tag: "cp311-abi3-manylinux_2_17_x86_64",
      requiresPython: ">=3.9",
      metadata: w.metadata,
    });
    expect(info.tags).toEqual(["cp311-abi3-manylinux_2_17_x86_64"]);
    expect(info.dependencies).toHaveLength(2);
    expect(info.dependencies[0]).toMatch(/^six ?; ?python_version ?< ?['"]3['"]$/);
  });

  it("refuses a wheel that carries a second top-level .dist-info (pip and uv refuse it too)", async () => {
    const w = await buildWheel(
      {
        name: "picked",
        version: "1.0",
        rawEntries: [{ name: "vendored-9.9.dist-info/METADATA", data: "Metadata-Version: 2.1\nName: vendored\nVersion: 9.9\n\n" }],
      },
      join(work.path, "two"),
    );
    const error = await readWheelInfo(w.path, w.filename).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INVALID_METADATA" });
    expect((error as Error).message).toContain("several .dist-info directories");
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

  it.each([
    ["a traversal entry", "xx/evil.py", "../evil.py", /"\.\.\/evil\.py": path escapes/],
    ["an absolute entry", "xetc/evil", "/etc/evil", /"\/etc\/evil": absolute path/],
  ])("refuses %s with UNSAFE_WHEEL naming the wheel, not yauzl's plain Error", async (_label, placeholder, hostile, message) => {
    const bytes = patchEntryName(
      await wheelBytes({ name: "sneaky", version: "1.0", rawEntries: [{ name: placeholder, data: "x" }] }),
      placeholder,
      hostile,
    );
    const path = join(work.path, `sneaky-${placeholder.length}.whl`);
    await writeFile(path, bytes);
    const error = await readWheelInfo(path, "sneaky-1.0-py3-none-any.whl").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PystoreError);
    expect(error).toMatchObject({ code: "UNSAFE_WHEEL" });
    expect((error as Error).message).toMatch(/^sneaky-1\.0-py3-none-any\.whl: /);
    expect((error as Error).message).toMatch(message);
  });

  it("refuses symlink and duplicate entries the way the installer does", async () => {
    const link = await buildWheel(
      { name: "linky", version: "1.0", rawEntries: [{ name: "linky/l", data: "/etc/passwd", symlink: true }] },
      join(work.path, "link"),
    );
    await expect(readWheelInfo(link.path, link.filename)).rejects.toMatchObject({
      code: "UNSAFE_WHEEL",
      message: expect.stringMatching(/symbolic link entry/),
    });
    const dup = await buildWheel(
      { name: "dupe", version: "1.0", rawEntries: [{ name: "dupe/__init__.py", data: "x" }] },
      join(work.path, "dup"),
    );
    await expect(readWheelInfo(dup.path, dup.filename)).rejects.toMatchObject({
      code: "UNSAFE_WHEEL",
      message: expect.stringMatching(/duplicate entry/),
    });
  });

  it("calls a file that is not a zip INVALID_METADATA, naming it", async () => {
    const path = join(work.path, "junk-1.0-py3-none-any.whl");
    await writeFile(path, "not a zip at all");
    await expect(readWheelInfo(path, "junk-1.0-py3-none-any.whl")).rejects.toMatchObject({
      code: "INVALID_METADATA",
      message: expect.stringMatching(/^junk-1\.0-py3-none-any\.whl: not a readable zip archive/),
    });
  });
});
