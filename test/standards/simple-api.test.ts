// PEP 503 HTML and PEP 691 JSON project pages (+592 yanked, 629 versions, 658/714 metadata, 700 size/upload-time).

import { describe, expect, it } from "vitest";
import { checkApiVersion, parseProjectHtml, parseProjectJson } from "../../src/standards/simple-api.js";

const PAGE = "https://user:tok@example.org/simple/demo/";
const INDEX = "https://example.org/simple/";
const H = "a".repeat(64);
const M = "b".repeat(64);

describe("parseProjectHtml", () => {
  it("reads links, hash fragments, escaped requires-python, yanked, metadata attributes", () => {
    const html = `<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.0"></head><body>
      <a href="../../files/demo-1.0-py3-none-any.whl#sha256=${H.toUpperCase()}" data-requires-python="&gt;=3.8,&lt;4" data-core-metadata="sha256=${M}">demo-1.0-py3-none-any.whl</a>
      <a href="https://files.example.org/demo-0.9.tar.gz#md5=abcdef" data-yanked="">demo-0.9.tar.gz</a>
      <a href="/files/demo-0.8-py3-none-any.whl" data-yanked="broken &amp; bad" data-dist-info-metadata="true">x</a>
      <a href="/files/demo-0.7-py3-none-any.whl" data-core-metadata="false">y</a>
    </body></html>`;
    const page = parseProjectHtml(html, PAGE, INDEX);
    expect(page.name).toBe("demo");
    expect(page.apiVersion).toBe("1.0");
    expect(page.files).toEqual([
      {
        filename: "demo-1.0-py3-none-any.whl",
        url: "https://user:tok@example.org/files/demo-1.0-py3-none-any.whl",
        hashes: { sha256: H },
        requiresPython: ">=3.8,<4",
        coreMetadata: { hashes: { sha256: M } },
        index: INDEX,
      },
      {
        filename: "demo-0.9.tar.gz",
        url: "https://files.example.org/demo-0.9.tar.gz",
        hashes: { md5: "abcdef" },
        yanked: {},
        index: INDEX,
      },
      {
        filename: "demo-0.8-py3-none-any.whl",
        url: "https://user:tok@example.org/files/demo-0.8-py3-none-any.whl",
        hashes: {},
        yanked: { reason: "broken & bad" },
        coreMetadata: { hashes: {} },
        index: INDEX,
      },
      {
        filename: "demo-0.7-py3-none-any.whl",
        url: "https://user:tok@example.org/files/demo-0.7-py3-none-any.whl",
        hashes: {},
        index: INDEX,
      },
    ]);
  });

  it("prefers data-core-metadata over the legacy attribute (PEP 714) and honours <base>", () => {
    const html = `<html><head><base href="https://mirror.example.net/pkgs/"></head><body>
      <a href="demo-1.0-py3-none-any.whl" data-core-metadata="sha256=${M}" data-dist-info-metadata="sha256=${H}">a</a></body></html>`;
    const [file] = parseProjectHtml(html, PAGE, INDEX).files;
    expect(file.url).toBe("https://mirror.example.net/pkgs/demo-1.0-py3-none-any.whl");
    expect(file.coreMetadata).toEqual({ hashes: { sha256: M } });
  });

  it("in strict mode rejects an HTML page with neither links nor a repository version (an error page)", () => {
    const html = "<html><body><h1>Please log in</h1></body></html>";
    expect(parseProjectHtml(html, PAGE, INDEX).files).toEqual([]);
    expect(() => parseProjectHtml(html, PAGE, INDEX, { strict: true })).toThrow(
      expect.objectContaining({
        code: "INVALID_INDEX_RESPONSE",
        message: expect.stringContaining("invalid project page from https://****@example.org/simple/demo/"),
      }),
    );
  });

  it("rejects an unknown major repository version", () => {
    const html = `<meta name="pypi:repository-version" content="2.0"><a href="x-1.0-py3-none-any.whl">x</a>`;
    expect(() => parseProjectHtml(html, PAGE, INDEX)).toThrow(expect.objectContaining({ code: "UNSUPPORTED_API_VERSION" }));
  });
});

describe("parseProjectJson", () => {
  const file = (extra: Record<string, unknown>) => ({
    filename: "demo-1.0-py3-none-any.whl",
    url: "../../files/demo-1.0-py3-none-any.whl",
    hashes: { sha256: H },
    ...extra,
  });
  const body = (files: unknown[], extra: Record<string, unknown> = {}) =>
    JSON.stringify({ meta: { "api-version": "1.1" }, name: "demo", files, ...extra });

  it("reads hashes, requires-python, yanked reasons, core-metadata, size, upload-time, versions", () => {
    const page = parseProjectJson(
      body(
        [
          file({
            "requires-python": ">=3.9",
            yanked: "oops",
            "core-metadata": { sha256: M.toUpperCase() },
            "dist-info-metadata": false,
            size: 123,
            "upload-time": "2024-01-02T03:04:05.000000Z",
          }),
          file({
            filename: "demo-2.0.tar.gz",
            url: "https://cdn.example.org/demo-2.0.tar.gz",
            hashes: {},
            yanked: true,
            "dist-info-metadata": true,
          }),
        ],
        { versions: ["1.0", "2.0"] },
      ),
      PAGE,
      INDEX,
    );
    expect(page).toEqual({
      name: "demo",
      apiVersion: "1.1",
      versions: ["1.0", "2.0"],
      files: [
        {
          filename: "demo-1.0-py3-none-any.whl",
          url: "https://user:tok@example.org/files/demo-1.0-py3-none-any.whl",
          hashes: { sha256: H },
          requiresPython: ">=3.9",
          yanked: { reason: "oops" },
          coreMetadata: { hashes: { sha256: M } },
          size: 123,
          uploadTime: "2024-01-02T03:04:05.000000Z",
          index: INDEX,
        },
        {
          filename: "demo-2.0.tar.gz",
          url: "https://cdn.example.org/demo-2.0.tar.gz",
          hashes: {},
          yanked: {},
          coreMetadata: { hashes: {} },
          index: INDEX,
        },
      ],
    });
  });

  it.each([
    [{ name: "demo", files: [] }, 'missing key "meta"'],
    [{ meta: {}, name: "demo", files: [] }, 'missing key "meta.api-version"'],
    [{ meta: { "api-version": "1.0" }, files: [] }, 'missing key "name"'],
    [{ meta: { "api-version": "1.0" }, name: "demo" }, 'missing key "files"'],
    [{ meta: { "api-version": "1.0" }, name: "demo", files: [{ url: "x", hashes: {} }] }, 'missing key "files[0].filename"'],
    [{ meta: { "api-version": "1.0" }, name: "demo", files: [{ filename: "x.whl", url: "x" }] }, 'missing key "files[0].hashes"'],
    [
      { meta: { "api-version": "1.0" }, name: "demo", files: [{ filename: "x.whl", url: "x", hashes: {}, size: -1 }] },
      "files[0].size must be a non-negative integer",
    ],
  ])("names what is missing or wrong: %j", (data, problem) => {
    expect(() => parseProjectJson(JSON.stringify(data), PAGE, INDEX)).toThrow(
      expect.objectContaining({ code: "INVALID_INDEX_RESPONSE", message: expect.stringContaining(problem) }),
    );
  });

  it("rejects a body that is not JSON, quoting the redacted page", () => {
    expect(() => parseProjectJson("<html>", PAGE, INDEX)).toThrow(
      /invalid project page from https:\/\/\*\*\*\*@example.org\/simple\/demo\/: body is not JSON/,
    );
  });
});

describe("checkApiVersion", () => {
  it("accepts 1.x, warns on a newer minor, rejects another major or garbage", () => {
    expect(checkApiVersion("1.0", PAGE)).toBeUndefined();
    expect(checkApiVersion("1.1", PAGE)).toBeUndefined();
    expect(checkApiVersion("1.7", PAGE)).toMatch(/newer than 1\.1; continuing/);
    expect(() => checkApiVersion("2.0", PAGE)).toThrow(expect.objectContaining({ code: "UNSUPPORTED_API_VERSION" }));
    expect(() => checkApiVersion("one", PAGE)).toThrow(expect.objectContaining({ code: "INVALID_INDEX_RESPONSE" }));
  });
});
