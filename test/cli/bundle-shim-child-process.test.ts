// The bundle's stand-in for node:child_process (src/cli/bundle-shims/child-process.ts) behaves as the real
// module for everything it exports, promisify's special form of execFile included.

import { promisify } from "node:util";
import { expect, it } from "vitest";
import { execFile, spawn, spawnSync } from "../../src/cli/bundle-shims/child-process.js";

const script = "process.stdout.write('out'); process.stderr.write('err')";

it("execFile calls back with stdout and stderr, and promisifies to both", async () => {
  const called = await new Promise<[string, string]>((resolve, reject) =>
    execFile(process.execPath, ["-e", script], { encoding: "utf8" }, (error, stdout, stderr) =>
      error ? reject(error) : resolve([stdout, stderr]),
    ),
  );
  expect(called).toEqual(["out", "err"]);
  expect(await promisify(execFile)(process.execPath, ["-e", script], { encoding: "utf8" })).toEqual({ stdout: "out", stderr: "err" });
});

it("spawn and spawnSync start the process", async () => {
  expect(spawnSync(process.execPath, ["-e", script], { encoding: "utf8" })).toMatchObject({ status: 0, stdout: "out", stderr: "err" });
  const code = await new Promise((resolve) => spawn(process.execPath, ["-e", "process.exit(3)"]).on("exit", resolve));
  expect(code).toBe(3);
});
