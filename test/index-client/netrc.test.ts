// The netrc parser: the format's tokens, quoting, comments, macdef, default, and errors that never echo secrets.

import { describe, expect, it } from "vitest";
import { netrcLookup, parseNetrc } from "../../src/index-client/netrc.js";

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
