// The netrc parser: the format's tokens, quoting, comments, macdef, default, and errors that never echo secrets;
// and how a missing $NETRC is reported.

import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CredentialStore } from "../../src/index-client/auth.js";
import { netrcLookup, parseNetrc } from "../../src/index-client/netrc.js";
import { memoryLogger } from "../../src/util/log.js";

describe("parseNetrc", () => {
  it.each([
    ["machine a.example login u password p", [{ machine: "a.example", login: "u", password: "p" }]],
    [
      "machine a login u\n  password p account acct\nmachine b login v password q",
      [
        { machine: "a", login: "u", password: "p", account: "acct" },
        { machine: "b", login: "v", password: "q" },
      ],
    ],
    ['machine a login "user name" password "p\\"w d"', [{ machine: "a", login: "user name", password: 'p"w d' }]],
    ["# comment line\nmachine a login u # trailing comment\npassword p", [{ machine: "a", login: "u", password: "p" }]],
    ["machine a login u password p#notacomment", [{ machine: "a", login: "u", password: "p#notacomment" }]],
    ["default login anon password guest", [{ login: "anon", password: "guest" }]],
    ["machine a user u password p", [{ machine: "a", login: "u", password: "p" }]],
    ["", []],
  ])("%j", (text, entries) => {
    expect(parseNetrc(text).entries).toEqual(entries);
  });

  it("keeps macdef bodies up to the blank line and resumes afterwards", () => {
    const text = "machine a login u password p\nmacdef init\ncd /pub\nbinary\n\nmachine b login v password q\n";
    const netrc = parseNetrc(text);
    expect(netrc.macros).toEqual({ init: "cd /pub\nbinary\n" });
    expect(netrc.entries).toEqual([
      { machine: "a", login: "u", password: "p" },
      { machine: "b", login: "v", password: "q" },
    ]);
  });

  it.each([
    ["login u password p", /netrc:1: "login" before any "machine"/],
    ["machine a login", /"login" without a value/],
    ["machine", /"machine" without a host name/],
    ["machine a\nlogin u\nfrobnicate SECRETVALUE", /netrc:3: unexpected token/],
  ])("rejects %j with the line number", (text, message) => {
    expect(() => parseNetrc(text)).toThrow(expect.objectContaining({ code: "INVALID_NETRC", message: expect.stringMatching(message) }));
  });

  it("never quotes a token value in an error (it may be a password)", () => {
    try {
      parseNetrc("machine a password SECRETVALUE bogus-SECRET2");
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).not.toMatch(/SECRET/);
    }
  });
});

describe("netrcLookup", () => {
  const netrc = parseNetrc("machine Index.Example.org login u password p\ndefault login d password dp\nmachine other login o password op");
  it("matches the host case-insensitively, else the default entry", () => {
    expect(netrcLookup(netrc, "index.example.org")).toMatchObject({ login: "u" });
    expect(netrcLookup(netrc, "other")).toMatchObject({ login: "o" });
    expect(netrcLookup(netrc, "unknown.example")).toMatchObject({ login: "d" });
    expect(netrcLookup(parseNetrc("machine x login a password b"), "y")).toBeUndefined();
  });
});

describe("CredentialStore and $NETRC", () => {
  it("warns once, naming the path, when $NETRC names a file that does not exist", async () => {
    const log = memoryLogger();
    const missing = join(tmpdir(), `pystore-no-such-netrc-${process.pid}`, "netrc");
    const store = new CredentialStore({ NETRC: missing, HOME: tmpdir() }, log);
    expect(await store.authorizationFor("https://index.example/simple/a/")).toBeUndefined();
    expect(await store.authorizationFor("https://other.example/simple/b/")).toBeUndefined();
    const warnings = log.lines.filter((l) => l.startsWith("warn: "));
    expect(warnings).toEqual([`warn: $NETRC names ${missing}, which does not exist; no credentials are read from it`]);
  });

  it("says nothing when the default ~/.netrc is absent", async () => {
    const log = memoryLogger();
    const home = join(tmpdir(), `pystore-no-such-home-${process.pid}`);
    const store = new CredentialStore({ HOME: home }, log);
    expect(await store.authorizationFor("https://index.example/simple/a/")).toBeUndefined();
    expect(log.lines.filter((l) => l.startsWith("warn: "))).toEqual([]);
  });
});
