// A parsed lock kept as JSON with its memo: read back exactly as parsed, or not kept at all.

import { expect, it } from "vitest";
import { restoreLock, snapshotLock } from "../../src/lock/lock-snapshot.js";
import { parsePylock, type Pylock, TomlDateTime } from "../../src/standards/pylock.js";
import { VERSION } from "../../src/version.js";

const LOCK = `lock-version = "1.0"
created-by = "pystore"

[[packages]]
name = "attrs"
version = "25.3.0"
marker = 'sys_platform == "linux"'

    [[packages.wheels]]
    name = "attrs-25.3.0-py3-none-any.whl"
    url = "https://files.test/attrs-25.3.0-py3-none-any.whl"
    upload-time = 2025-03-13T11:10:21.123456Z
    size = 63815
    hashes = {sha256 = "${"a".repeat(64)}"}

[tool.pystore]
format-version = 1
project = "app"
stamped = 1979-05-27T07:32:00-08:00
`;

it("reads back deep-equal to the parse, TOML datetimes and absent optional keys included", () => {
  const lock = parsePylock(LOCK);
  expect(Object.keys(lock)).toContain("requiresPython");
  expect(lock.requiresPython).toBeUndefined();
  const json = snapshotLock(lock);
  expect(json).toBeDefined();
  const restored = restoreLock(json!);
  expect(restored).toStrictEqual(lock);
  expect((restored!.tool!.pystore as Record<string, unknown>).stamped).toBeInstanceOf(TomlDateTime);
});

it("keeps nothing JSON cannot carry exactly", () => {
  const lock = parsePylock(LOCK);
  for (const value of [Number.NaN, Number.POSITIVE_INFINITY, -0, 2n ** 70n]) {
    const odd: Pylock = { ...lock, tool: { ...lock.tool, other: { value } } };
    expect(snapshotLock(odd), String(value)).toBeUndefined();
  }
});

it("ignores a snapshot another pystore version wrote, and one that does not read", () => {
  const json = snapshotLock(parsePylock(LOCK))!;
  expect(restoreLock(json.replace(JSON.stringify(VERSION), JSON.stringify(`${VERSION}-other`)))).toBeUndefined();
  expect(restoreLock(json.slice(0, -1))).toBeUndefined();
});
