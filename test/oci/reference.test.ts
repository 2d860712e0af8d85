// oci:// references: the Distribution grammar, carets under the bad part, and which registries may be
// spoken to over plain HTTP.

import { describe, expect, it } from "vitest";
import { formatReference, isLoopbackHost, parseReference, registryBaseUrl } from "../../src/oci/reference.js";
import { thrown } from "../standards/thrown.js";

const DIGEST = `sha256:${"a1".repeat(32)}`;

describe("parseReference", () => {
  it.each([
    ["oci://registry.example/team/app", { registry: "registry.example", host: "registry.example", repository: "team/app" }],
    [
      "oci://registry.example:5000/app:v1.2_rc-1",
      { registry: "registry.example:5000", host: "registry.example", port: 5000, repository: "app", tag: "v1.2_rc-1" },
    ],
    [
      `oci://127.0.0.1:5000/a/b/c@${DIGEST}`,
      { registry: "127.0.0.1:5000", host: "127.0.0.1", port: 5000, repository: "a/b/c", digest: DIGEST },
    ],
    [
      `oci://[::1]:5000/app:v1@${DIGEST}`,
      { registry: "[::1]:5000", host: "::1", port: 5000, repository: "app", tag: "v1", digest: DIGEST },
    ],
    [
      "oci://Registry.Example/my_team__x/app-name.sub",
      { registry: "registry.example", host: "registry.example", repository: "my_team__x/app-name.sub" },
    ],
  ])("%s", (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
    expect(parseReference(formatReference(parseReference(input)))).toEqual(expected);
  });

  it.each([
    ["registry.example/app", /does not start with oci:\/\//],
    ["oci://registry.example", /expected HOST\/REPOSITORY/],
    ["oci://user:pw@registry.example/app", /credentials do not belong/],
    ["oci://registry.example/Team/app", /lower-case letters and digits/],
    ["oci://registry.example/team//app", /lower-case letters and digits/],
    ["oci://registry.example/app:.bad", /a tag is/],
    ["oci://registry.example/app@sha256:abc", /a digest is sha256:/],
    ["oci://registry.example:99999/app", /a port is a number/],
    ["oci://bad_host/app", /not a host name/],
  ])("refuses %s", (input, message) => {
    const error = thrown(() => parseReference(input));
    expect(error.code).toBe("INVALID_REFERENCE");
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(/oci:\/\/HOST/);
  });

  it("puts a caret under the bad part and never quotes credentials elsewhere", () => {
    const error = thrown(() => parseReference("oci://registry.example/Team/app"));
    expect(error.message).toContain("    oci://registry.example/Team/app\n                           ^~~~");
    expect(thrown(() => parseReference("oci://u:s3cret@h/app")).message).toContain("^~~~");
  });
});

describe("plain HTTP", () => {
  it("is used for loopback and for --insecure-registry hosts only", () => {
    expect(isLoopbackHost("127.0.0.1")).toBe(true);
    expect(isLoopbackHost("127.8.9.10")).toBe(true);
    expect(isLoopbackHost("::1")).toBe(true);
    expect(isLoopbackHost("localhost")).toBe(true);
    expect(isLoopbackHost("10.0.0.1")).toBe(false);
    expect(registryBaseUrl(parseReference("oci://127.0.0.1:5000/a"))).toBe("http://127.0.0.1:5000");
    expect(registryBaseUrl(parseReference("oci://registry.example/a"))).toBe("https://registry.example");
    expect(registryBaseUrl(parseReference("oci://registry.lan:5000/a"), ["registry.lan:5000"])).toBe("http://registry.lan:5000");
    expect(registryBaseUrl(parseReference("oci://registry.lan:5000/a"), ["registry.lan"])).toBe("http://registry.lan:5000");
    expect(registryBaseUrl(parseReference("oci://registry.lan:5000/a"), ["registry.lan:6000"])).toBe("https://registry.lan:5000");
  });
});
