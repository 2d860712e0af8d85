// Which file: URLs a lock may name (lock/local-files.ts) and the entry-vs-file-name check (lock/wheel-entry.ts).

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkLocalUrl, localLocations } from "../../src/lock/local-files.js";
import { checkWheelEntry } from "../../src/lock/wheel-entry.js";
import type { Pylock } from "../../src/standards/pylock.js";

// Made while the tests are collected: the table below names paths in it.
const dir = { path: mkdtempSync(join(tmpdir(), "pystore-local-files-")) };
beforeAll(() => {
  mkdirSync(join(dir.path, "project"));
  mkdirSync(join(dir.path, "links"));
  mkdirSync(join(dir.path, "pages"));
  mkdirSync(join(dir.path, "secret"));
  writeFileSync(join(dir.path, "secret", "x-1.0-py3-none-any.whl"), "");
  // A link inside a recorded location that leads out of it.
  symlinkSync(join(dir.path, "secret"), join(dir.path, "links", "escape"));
});
afterAll(() => rmSync(dir.path, { recursive: true, force: true }));

function lockWith(pystore: Record<string, unknown>): Pylock {
  return { lockVersion: "1.0", createdBy: "pystore", packages: [], tool: { pystore: { targets: [], ...pystore } } } as unknown as Pylock;
}

const url = (...parts: string[]) => pathToFileURL(join(dir.path, ...parts)).href;

describe("checkLocalUrl", () => {
  it.each([
    ["a find-links directory, relative to the lock", { "find-links": ["../links"] }, url("links", "a-1.0-py3-none-any.whl"), true],
    ["a find-links file: URL", { "find-links": [url("links")] }, url("links", "sub", "a-1.0-py3-none-any.whl"), true],
    ["the directory of a find-links page", { "find-links": [url("pages", "index.html")] }, url("pages", "a-1.0-py3-none-any.whl"), true],
    ["a file: index URL", { "index-url": `${url("links")}/` }, url("links", "a", "a-1.0-py3-none-any.whl"), true],
    [
      "a direct requirement's own URL",
      { requirements: [`x @ ${url("secret", "x-1.0-py3-none-any.whl")}`] },
      url("secret", "x-1.0-py3-none-any.whl"),
      true,
    ],
    ["an http index lends no local directory", { "index-url": "https://pypi.org/simple/" }, url("links", "a-1.0-py3-none-any.whl"), false],
    ["a sibling whose name extends the directory's", { "find-links": ["../links"] }, url("links-other", "a-1.0-py3-none-any.whl"), false],
    ["a symlink leading out", { "find-links": ["../links"] }, url("links", "escape", "x-1.0-py3-none-any.whl"), false],
    ["/etc/passwd", { "find-links": ["../links"] }, "file:///etc/passwd", false],
  ])("%s", (_label, pystore, wheelUrl, allowed) => {
    const locations = localLocations(lockWith(pystore), join(dir.path, "project"));
    const check = () => checkLocalUrl(wheelUrl, "a 1.0", locations);
    if (allowed) expect(check).not.toThrow();
    else
      expect(check).toThrow(expect.objectContaining({ code: "INVALID_LOCK", message: expect.stringContaining("is outside every local") }));
  });

  it("lets other schemes through (the transports decide about them)", () => {
    expect(() => checkLocalUrl("https://files.example/a-1.0-py3-none-any.whl", "a 1.0", { dirs: [], urls: [] })).not.toThrow();
  });
});

describe("checkWheelEntry", () => {
  it.each([
    [{ name: "Foo.Bar", version: "1.0" }, "foo_bar-1.0.0-py3-none-any.whl"],
    [{ name: "foo-bar", version: "1.0.post0" }, "Foo_Bar-1.0.post0-py3-none-any.whl"],
    [{ name: "foo-bar", version: "1.0rc1" }, "foo_bar-1.0c1-py3-none-any.whl"],
    [{ name: "foo-bar" }, "foo_bar-7-py3-none-any.whl"],
  ])("accepts %j with %s", (entry, wheel) => {
    expect(checkWheelEntry(entry, wheel).normalizedName).toBe("foo-bar");
  });

  it.each([
    [{ name: "foo", version: "1.0" }, "bar-1.0-py3-none-any.whl", /entry foo 1\.0: its wheel bar-1\.0-py3-none-any\.whl is bar 1\.0/],
    [{ name: "foo", version: "1.0" }, "foo-1.0+local-py3-none-any.whl", /is foo 1\.0\+local/],
    [{ name: "foo", version: "1.0" }, "not-a-wheel.txt", /entry foo 1\.0: /],
  ])("refuses %j with %s", (entry, wheel, message) => {
    expect(() => checkWheelEntry(entry, wheel)).toThrow(
      expect.objectContaining({ code: "INVALID_LOCK", message: expect.stringMatching(message) }),
    );
  });
});
