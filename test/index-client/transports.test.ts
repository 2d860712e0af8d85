// The transport registry: one place maps a URL's scheme to how its files are read; unknown schemes are typed errors.

import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWheel, type BuiltWheel } from "../../fixtures/wheels.js";
import { CredentialStore } from "../../src/index-client/auth.js";
import { HttpTransport } from "../../src/index-client/http.js";
import { isSupportedUrl, SUPPORTED_SCHEMES, schemeOf, transportFor } from "../../src/index-client/transports.js";
import type { ProjectFile } from "../../src/standards/simple-api.js";
import { silentLogger } from "../../src/util/log.js";

let dir: string;
let wheel: BuiltWheel;
let http: HttpTransport;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pystore-transports-"));
  wheel = await buildWheel({ name: "local", version: "1.0", requiresDist: ["dep>=1"] }, join(dir, "wheels"));
  http = new HttpTransport({ env: {}, credentials: new CredentialStore({}, silentLogger), log: silentLogger });
});
afterAll(async () => {
  await http?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ctx = (offline = false) => ({ http, offline, log: silentLogger });
const fileFor = (url: string): ProjectFile => ({ filename: wheel.filename, url, hashes: { sha256: wheel.sha256 }, index: "" });

describe("schemeOf", () => {
  it.each([
    ["https://pypi.org/simple/", "https:"],
    ["HTTP://example.test/x.whl", "http:"],
    ["file:///tmp/x.whl", "file:"],
    ["oci://registry.test/wheels", "oci:"],
    ["s3://bucket/key.whl", "s3:"],
    ["/tmp/x.whl", undefined],
    ["relative/x.whl", undefined],
  ])("%s → %s", (url, scheme) => {
    expect(schemeOf(url)).toBe(scheme);
  });
});

describe("transportFor", () => {
  it("serves http, https and file", () => {
    expect(SUPPORTED_SCHEMES).toEqual(["http", "https", "file"]);
    expect(transportFor("https://pypi.org/x.whl", ctx()).local).toBe(false);
    expect(transportFor("http://127.0.0.1/x.whl", ctx()).local).toBe(false);
    expect(transportFor("file:///tmp/x.whl", ctx()).local).toBe(true);
    expect(isSupportedUrl("FILE:///tmp/x.whl")).toBe(true);
    expect(isSupportedUrl("s3://bucket/x.whl")).toBe(false);
  });

  it.each([
    ["s3://AKIAEXAMPLE:hunter2@bucket/key.whl", "s3"],
    ["oci://user:hunter2@registry.test/wheels/x.whl", "oci"],
    ["ftp://user:hunter2@mirror.test/x.whl", "ftp"],
  ])("refuses %s with UNSUPPORTED_URL naming the redacted URL", (url, scheme) => {
    let thrown: unknown;
    try {
      transportFor(url, ctx());
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: "UNSUPPORTED_URL", details: { scheme } });
    const message = (thrown as Error).message;
    expect(message).toContain(`unsupported scheme "${scheme}"`);
    expect(message).not.toContain("hunter2");
    expect((thrown as { hint: string }).hint).toBe("pystore reads files over http, https, file");
  });

  it("refuses a URL without a scheme", () => {
    expect(() => transportFor("/tmp/x.whl", ctx())).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED_URL", message: "/tmp/x.whl has no scheme" }),
    );
  });

  it("reads a file: wheel's metadata and copies it, offline too", async () => {
    const transport = transportFor(pathToFileURL(wheel.path).href, ctx(true));
    const url = pathToFileURL(wheel.path).href;
    expect(await transport.metadata(fileFor(url))).toContain("Requires-Dist: dep>=1");
    const destination = join(dir, "copy.whl");
    const written = await transport.download(fileFor(url), destination, {});
    expect(written.sha256).toBe(wheel.sha256);
    expect(await readFile(destination)).toEqual(await readFile(wheel.path));
  });

  it("refuses an http download offline before touching the network", async () => {
    const transport = transportFor("http://127.0.0.1:9/x.whl", ctx(true));
    await expect(transport.download(fileFor("http://127.0.0.1:9/x.whl"), join(dir, "never.whl"), {})).rejects.toMatchObject({
      code: "OFFLINE_MISSING",
    });
  });
});
