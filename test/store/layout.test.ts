// Pure store layout: Nix base32 digests, the entry naming grammar, and the store location rules.

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { entryName, filenameTag, foldHash, integrityOf, nixBase32, parseEntryName, shortDigest } from "../../src/store/layout.js";
import { resolveStoreDir } from "../../src/store/location.js";

const sha = (text: string) => createHash("sha256").update(text).digest();

describe("Nix base32", () => {
  it('matches Nix\'s own encoding of sha256("abc")', () => {
    // `nix hash convert --to nix32 sha256:ba7816bf…` (from Nix's test suite).
    expect(nixBase32(sha("abc"))).toBe("1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s");
  });

  it("folds 32 bytes into 20 with XOR", () => {
    const bytes = new Uint8Array(32).map((_, i) => i);
    const folded = foldHash(bytes, 20);
    expect(folded[0]).toBe(0 ^ 20);
    expect(folded[11]).toBe(11 ^ 31);
    expect(folded[12]).toBe(12);
  });

  it("gives 32-character digests of the store alphabet", () => {
    const d = shortDigest(sha("wheel").toString("hex"));
    expect(d).toHaveLength(32);
    expect(d).toMatch(/^[0-9abcdfghijklmnpqrsvwxyz]+$/);
    expect(() => shortDigest("XYZ")).toThrow(/sha256/);
  });
});

describe("entry names", () => {
  const hex = sha("demo").toString("hex");

  it("round-trips <digest>-<name>-<version>-<tag>", () => {
    const name = entryName(hex, "zope-interface", "5.4.0", "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64");
    expect(name.startsWith(`${shortDigest(hex)}-zope_interface-5.4.0-cp311-`)).toBe(true);
    expect(parseEntryName(name)).toEqual({
      digest: shortDigest(hex),
      name: "zope_interface",
      version: "5.4.0",
      tag: "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
    });
  });

  it("keeps epochs and local versions, refuses path tricks", () => {
    expect(parseEntryName(entryName(hex, "a", "1!2.0+local.1", "py3-none-any"))?.version).toBe("1!2.0+local.1");
    expect(() => entryName(hex, "a/../b", "1.0", "py3-none-any")).toThrow();
    expect(() => entryName(hex, "a", "1.0", "py3-none")).toThrow();
    expect(parseEntryName("not-an-entry")).toBeUndefined();
  });

  it("takes the tag from a wheel filename, with or without a build tag", () => {
    expect(filenameTag("pkg-1.0-py3-none-any.whl")).toBe("py3-none-any");
    expect(filenameTag("pkg-1.0-1b-cp311-abi3-linux_x86_64.whl")).toBe("cp311-abi3-linux_x86_64");
  });

  it("writes ssri integrity strings", () => {
    expect(integrityOf(hex)).toBe(`sha256-${sha("demo").toString("base64")}`);
  });
});

describe("store location", () => {
  it("prefers --store, then PYSTORE_STORE, then XDG_DATA_HOME, then ~/.local/share", () => {
    expect(resolveStoreDir("s", { PYSTORE_STORE: "/e" }, "/cwd")).toBe("/cwd/s");
    expect(resolveStoreDir(undefined, { PYSTORE_STORE: "/e", XDG_DATA_HOME: "/x" }, "/cwd")).toBe("/e");
    expect(resolveStoreDir(undefined, { XDG_DATA_HOME: "/x", HOME: "/h" }, "/cwd")).toBe("/x/pystore");
    expect(resolveStoreDir(undefined, { XDG_DATA_HOME: "rel", HOME: "/h" }, "/cwd")).toBe("/h/.local/share/pystore");
    expect(resolveStoreDir(undefined, { HOME: "/h" }, "/cwd")).toBe("/h/.local/share/pystore");
  });
});
