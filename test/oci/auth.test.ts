// WWW-Authenticate challenges and registry credentials (auth files and netrc): parsed as registries and
// docker/podman write them, looked up by registry and namespace, never quoted in an error.

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mergeScopes, parseChallenges, usableChallenge } from "../../src/oci/challenge.js";
import { lookupAuth, normalizeAuthKey, parseAuthFile, RegistryCredentials } from "../../src/oci/credentials.js";
import { memoryLogger } from "../../src/util/log.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { thrown } from "../standards/thrown.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("challenges", () => {
  it("parses a Bearer challenge with quoted parameters", () => {
    expect(
      parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'),
    ).toEqual([
      { scheme: "bearer", params: { realm: "https://auth.example/token", service: "registry.example", scope: "repository:a/b:pull,push" } },
    ]);
  });

  it("parses several challenges and prefers Bearer with a realm over Basic", () => {
    const header = 'Basic realm="x", Bearer realm="https://t.example/token",service=reg';
    expect(parseChallenges(header).map((c) => c.scheme)).toEqual(["basic", "bearer"]);
    expect(usableChallenge(header)?.scheme).toBe("bearer");
    expect(usableChallenge('Basic realm="registry"')?.scheme).toBe("basic");
    expect(usableChallenge("Negotiate")).toBeUndefined();
    expect(usableChallenge('Bearer service="no-realm"')).toBeUndefined();
  });

  it("merges scopes per repository", () => {
    expect(mergeScopes(["repository:a:pull", "repository:b:pull", "repository:a:push,pull"])).toEqual([
      "repository:a:pull,push",
      "repository:b:pull",
    ]);
  });
});

describe("auth files", () => {
  it("reads base64 auth and username/password entries under every key spelling", () => {
    const entries = parseAuthFile(
      JSON.stringify({
        auths: {
          "https://registry.example/v1/": { auth: b64("u1:p:w:1") },
          "registry.example:5000": { username: "u2", password: "p2" },
          "registry.example/team": { auth: b64("u3:p3") },
          "id.example": { identitytoken: "tok" },
        },
      }),
      "/x/config.json",
    );
    expect(normalizeAuthKey("HTTPS://Registry.Example/v2/")).toBe("registry.example");
    expect(lookupAuth(entries, "registry.example", "other")?.password).toBe("p:w:1");
    expect(lookupAuth(entries, "registry.example:5000", "app")?.username).toBe("u2");
    expect(lookupAuth(entries, "registry.example", "team/app")?.username).toBe("u3");
    expect(lookupAuth(entries, "registry.example", "teamx/app")?.username).toBe("u1");
    expect(lookupAuth(entries, "id.example", "a")?.identityToken).toBe(true);
    expect(lookupAuth(entries, "elsewhere.example", "a")).toBeUndefined();
  });

  it("refuses a malformed file naming the file and key, never the value", () => {
    const error = thrown(() => parseAuthFile(JSON.stringify({ auths: { "r.example": { auth: "no-colon-canary!!" } } }), "/x/config.json"));
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.message).toContain("/x/config.json");
    expect(error.message).toContain("r.example");
    expect(error.message).not.toContain("no-colon-canary");
    expect(thrown(() => parseAuthFile("{not json", "/x/a.json")).message).toBe("/x/a.json: is not valid JSON");
  });
});

describe("RegistryCredentials", () => {
  let work: TempDir;
  beforeAll(async () => {
    work = await tempDir("oci-credentials");
  });
  afterAll(() => work?.cleanup());

  it("consults $REGISTRY_AUTH_FILE, then the Docker config, then ~/.netrc", async () => {
    const home = join(work.path, "home");
    await mkdir(join(home, ".docker"), { recursive: true });
    await writeFile(
      join(home, ".docker", "config.json"),
      JSON.stringify({ auths: { "a.example": { auth: b64("docker:d") }, "b.example": { auth: b64("docker:d") } } }),
    );
    const authFile = join(work.path, "auth.json");
    await writeFile(authFile, JSON.stringify({ auths: { "a.example": { auth: b64("containers:c") } } }));
    await writeFile(join(home, ".netrc"), "machine c.example login netrc password n\n");
    const creds = new RegistryCredentials({ HOME: home, REGISTRY_AUTH_FILE: authFile }, memoryLogger());
    expect(await creds.lookup("a.example", "x")).toEqual({ username: "containers", password: "c", source: authFile });
    expect((await creds.lookup("b.example", "x"))?.username).toBe("docker");
    expect(await creds.lookup("c.example:5000", "x")).toEqual({ username: "netrc", password: "n", source: "netrc" });
    expect(await creds.lookup("d.example", "x")).toBeUndefined();
  });

  it("honours $DOCKER_CONFIG and warns once about an unreadable $REGISTRY_AUTH_FILE", async () => {
    const dockerDir = join(work.path, "docker-config");
    await mkdir(dockerDir, { recursive: true });
    await writeFile(join(dockerDir, "config.json"), JSON.stringify({ auths: { "e.example": { username: "u", password: "p" } } }));
    const log = memoryLogger();
    const creds = new RegistryCredentials(
      { HOME: "/nonexistent", DOCKER_CONFIG: dockerDir, REGISTRY_AUTH_FILE: join(work.path, "missing.json") },
      log,
    );
    expect((await creds.lookup("e.example", "x"))?.username).toBe("u");
    await creds.lookup("f.example", "x");
    expect(log.lines.filter((l) => l.includes("$REGISTRY_AUTH_FILE"))).toHaveLength(1);
  });
});
