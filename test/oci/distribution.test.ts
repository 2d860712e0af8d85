// The OCI Distribution client against the real CNCF registry (Debian's docker-registry): blobs pushed once
// (HEAD first), monolithic and chunked uploads, cross-repository mounts, manifests by tag and digest, Basic
// auth from a Docker config and the Bearer token flow against a token realm, and pulls resumed with Range.

import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRegistry, startRegistryProxy, type TestRegistry } from "../../fixtures/registry.js";
import { startTinyproxy } from "../../fixtures/tinyproxy.js";
import { OciClient } from "../../src/oci/client.js";
import { memoryLogger } from "../../src/util/log.js";
import { headBlob, pullBlob, pushBlob, readBlob } from "../../src/oci/blobs.js";
import { getManifest, putManifest } from "../../src/oci/manifests.js";
import { OCI_MANIFEST } from "../../src/oci/media-types.js";
import { parseReference } from "../../src/oci/reference.js";
import { tempDir, type TempDir } from "../helpers/temp.js";
import { bufferBlob, failure, testClient } from "./helpers.js";

const USER = { username: "ci-bot", password: "canary-PW-5e1f9c" };

let work: TempDir;
let open: TestRegistry;
let basic: TestRegistry;
let token: TestRegistry;

beforeAll(async () => {
  work = await tempDir("oci-distribution");
  [open, basic, token] = await Promise.all([
    startRegistry({ dir: join(work.path, "open") }),
    startRegistry({ dir: join(work.path, "basic"), auth: { kind: "htpasswd", user: USER } }),
    startRegistry({ dir: join(work.path, "token"), auth: { kind: "token", user: USER } }),
  ]);
});
afterAll(async () => {
  await Promise.all([open?.close(), basic?.close(), token?.close()]);
  await work?.cleanup();
});

async function dockerConfig(dir: string, registry: string, user = USER): Promise<NodeJS.ProcessEnv> {
  await mkdir(join(dir, ".docker"), { recursive: true });
  const auth = Buffer.from(`${user.username}:${user.password}`).toString("base64");
  await writeFile(join(dir, ".docker", "config.json"), JSON.stringify({ auths: { [registry]: { auth } } }));
  return { HOME: dir };
}

describe("blobs", () => {
  it("uploads a blob once: a second push finds it by HEAD and sends no bytes", async () => {
    const proxy = await startRegistryProxy(open.url);
    const { client } = testClient();
    try {
      const registry = client.registry(parseReference(`oci://${proxy.host}/team/once`));
      const blob = bufferBlob(randomBytes(5000));
      expect(await pushBlob(registry, "team/once", blob)).toBe("uploaded");
      expect(await pushBlob(registry, "team/once", blob)).toBe("present");
      const writes = proxy.requests.filter((r) => r.method === "PUT" || r.method === "PATCH" || r.method === "POST");
      expect(writes.map((r) => r.method)).toEqual(["POST", "PUT"]);
      expect(await headBlob(registry, "team/once", blob.digest)).toBe(5000);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it("uploads a large blob in PATCH chunks and pulls it back byte-identical", async () => {
    const proxy = await startRegistryProxy(open.url);
    const { client } = testClient();
    try {
      const registry = client.registry(parseReference(`oci://${proxy.host}/team/chunks`));
      const bytes = randomBytes(300_000);
      const blob = bufferBlob(bytes);
      expect(await pushBlob(registry, "team/chunks", blob, { chunkSize: 64 * 1024 })).toBe("uploaded");
      expect(proxy.requests.filter((r) => r.method === "PATCH")).toHaveLength(5);
      const out = join(work.path, "chunks.bin");
      const written = await pullBlob(registry, "team/chunks", { ...blob, label: "chunks.bin" }, out);
      expect(written?.sha256).toBe(blob.digest.slice(7));
      expect(Buffer.compare(await readFile(out), bytes)).toBe(0);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it("mounts a blob from another repository instead of uploading it", async () => {
    const proxy = await startRegistryProxy(open.url);
    const { client } = testClient();
    try {
      const registry = client.registry(parseReference(`oci://${proxy.host}/shared/base`));
      const blob = bufferBlob(randomBytes(2000));
      expect(await pushBlob(registry, "shared/base", blob)).toBe("uploaded");
      const before = proxy.requests.length;
      expect(await pushBlob(registry, "team/app", blob, { mountFrom: ["shared/base"] })).toBe("mounted");
      const mounts = proxy.requests.slice(before).filter((r) => r.method === "POST");
      expect(mounts).toHaveLength(1);
      expect(mounts[0].path).toContain(`mount=${encodeURIComponent(blob.digest)}`);
      expect(mounts[0].path).toContain("from=shared%2Fbase");
      expect(proxy.requests.slice(before).some((r) => r.method === "PUT" || r.method === "PATCH")).toBe(false);
      expect(await headBlob(registry, "team/app", blob.digest)).toBe(2000);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it("resumes a pull that broke off with a Range request", async () => {
    const { client } = testClient({}, { retries: 2 });
    const bytes = randomBytes(200_000);
    const blob = bufferBlob(bytes);
    const proxy = await startRegistryProxy(open.url, {
      cutOnce: { match: (r) => r.method === "GET" && r.path.endsWith(blob.digest), afterBytes: 70_000 },
    });
    try {
      await pushBlob(client.registry(parseReference(`oci://${open.host}/team/resume`)), "team/resume", blob);
      const registry = client.registry(parseReference(`oci://${proxy.host}/team/resume`));
      const out = join(work.path, "resumed.bin");
      await pullBlob(registry, "team/resume", { ...blob, label: "resumed.bin" }, out);
      expect(Buffer.compare(await readFile(out), bytes)).toBe(0);
      const gets = proxy.requests.filter((r) => r.method === "GET" && r.path.endsWith(blob.digest));
      // The second request starts where the client's bytes ended (some of the 70 000 sent may die with the socket).
      expect(gets).toHaveLength(2);
      expect(gets[0].headers.range).toBeUndefined();
      const from = Number(/^bytes=(\d+)-$/.exec(String(gets[1].headers.range))?.[1]);
      expect(from).toBeGreaterThan(0);
      expect(from).toBeLessThanOrEqual(70_000);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it("refuses altered bytes with expected and got, leaving nothing at the destination", async () => {
    const { client } = testClient();
    const blob = bufferBlob(randomBytes(10_000));
    const proxy = await startRegistryProxy(open.url, { alter: (r) => r.path.endsWith(blob.digest) });
    try {
      await pushBlob(client.registry(parseReference(`oci://${open.host}/team/altered`)), "team/altered", blob);
      const registry = client.registry(parseReference(`oci://${proxy.host}/team/altered`));
      const out = join(work.path, "altered.bin");
      const error = await failure(pullBlob(registry, "team/altered", { ...blob, label: "altered.bin" }, out));
      expect(error.code).toBe("HASH_MISMATCH");
      expect(error.message).toContain(`expected ${blob.digest.slice(7)}, got `);
      await expect(readFile(out)).rejects.toThrow(/ENOENT/);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it("answers a missing blob with undefined, not an error", async () => {
    const { client } = testClient();
    try {
      const registry = client.registry(parseReference(`oci://${open.host}/team/none`));
      const digest = `sha256:${"0".repeat(64)}`;
      expect(await headBlob(registry, "team/none", digest)).toBeUndefined();
      expect(await pullBlob(registry, "team/none", { digest, size: 1, label: "x" }, join(work.path, "none"))).toBeUndefined();
    } finally {
      await client.close();
    }
  });
});

describe("manifests", () => {
  it("puts a manifest under a tag and reads it back by tag and by digest", async () => {
    const { client } = testClient();
    try {
      const registry = client.registry(parseReference(`oci://${open.host}/team/manifest`));
      const config = bufferBlob(Buffer.from("{}"));
      const layer = bufferBlob(randomBytes(100));
      await pushBlob(registry, "team/manifest", config);
      await pushBlob(registry, "team/manifest", layer);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          artifactType: "application/vnd.example.test",
          config: { mediaType: "application/vnd.example.config+json", digest: config.digest, size: config.size },
          layers: [{ mediaType: "application/vnd.example.layer", digest: layer.digest, size: layer.size }],
        }),
      );
      const digest = await putManifest(registry, "team/manifest", "v1", manifest, OCI_MANIFEST);
      const byTag = await getManifest(registry, "team/manifest", "v1", [OCI_MANIFEST]);
      expect(byTag.digest).toBe(digest);
      expect(Buffer.compare(byTag.bytes, manifest)).toBe(0);
      expect((await getManifest(registry, "team/manifest", digest, [OCI_MANIFEST])).mediaType).toBe(OCI_MANIFEST);
      expect((await readBlob(registry, "team/manifest", { ...config, label: "config" }, 1024)).toString()).toBe("{}");
      expect((await failure(getManifest(registry, "team/manifest", "nope", [OCI_MANIFEST]))).code).toBe("ARTIFACT_NOT_FOUND");
    } finally {
      await client.close();
    }
  });
});

describe("authentication", () => {
  it("uses Basic credentials from ~/.docker/config.json (base64 auth) and never shows them", async () => {
    const home = join(work.path, "home-basic");
    const env = await dockerConfig(home, basic.host);
    const { client, log } = testClient(env);
    try {
      const registry = client.registry(parseReference(`oci://${basic.host}/team/basic`));
      const blob = bufferBlob(randomBytes(1000));
      expect(await pushBlob(registry, "team/basic", blob)).toBe("uploaded");
      expect(await headBlob(registry, "team/basic", blob.digest)).toBe(1000);
      expect(log.lines.join("\n")).not.toContain(USER.password);
    } finally {
      await client.close();
    }
  });

  it("says which credentials a registry refused, without quoting them", async () => {
    const home = join(work.path, "home-wrong");
    const env = await dockerConfig(home, basic.host, { username: USER.username, password: "wrong-canary-77" });
    const { client } = testClient(env);
    try {
      const registry = client.registry(parseReference(`oci://${basic.host}/team/basic`));
      const error = await failure(headBlob(registry, "team/basic", `sha256:${"1".repeat(64)}`));
      expect(error.code).toBe("AUTH_REQUIRED");
      expect(error.message).toContain(join(home, ".docker", "config.json"));
      expect(JSON.stringify({ m: error.message, h: error.hint, d: error.details })).not.toContain("wrong-canary-77");
    } finally {
      await client.close();
    }
  });

  it("fails with AUTH_REQUIRED when a registry wants credentials and none are configured", async () => {
    const { client } = testClient();
    try {
      const registry = client.registry(parseReference(`oci://${basic.host}/team/basic`));
      expect((await failure(headBlob(registry, "team/basic", `sha256:${"1".repeat(64)}`))).code).toBe("AUTH_REQUIRED");
    } finally {
      await client.close();
    }
  });

  it("follows the Bearer challenge to the token realm with service and scope, credentials from $REGISTRY_AUTH_FILE", async () => {
    const file = join(work.path, "auth.json");
    const auth = Buffer.from(`${USER.username}:${USER.password}`).toString("base64");
    await writeFile(file, JSON.stringify({ auths: { [token.host]: { auth } } }));
    const { client, log } = testClient({ REGISTRY_AUTH_FILE: file });
    try {
      const registry = client.registry(parseReference(`oci://${token.host}/team/token`));
      const blob = bufferBlob(randomBytes(3000));
      expect(await pushBlob(registry, "team/token", blob)).toBe("uploaded");
      expect(await headBlob(registry, "team/token", blob.digest)).toBe(3000);
      expect(token.tokenRequests.length).toBeGreaterThan(0);
      expect(token.tokenRequests.every((r) => r.authorized && r.service === "pystore-test-registry")).toBe(true);
      expect(token.tokenRequests.some((r) => r.scopes.includes("repository:team/token:pull,push"))).toBe(true);
      // One token per scope set, reused: not one per request.
      expect(token.tokenRequests.length).toBeLessThanOrEqual(2);
      expect(log.lines.join("\n")).not.toContain(USER.password);
    } finally {
      await client.close();
    }
  });
});

describe("proxies", () => {
  it("goes through the same proxy settings as the index client (--proxy with credentials), which never show", async () => {
    const proxy = await startTinyproxy({ auth: { username: "proxyuser", password: "proxy-canary-31" } });
    const log = memoryLogger();
    const client = new OciClient({ transport: { proxy: proxy.authUrl, retries: 2 }, env: { HOME: "/nonexistent" }, log, retryBaseMs: 10 });
    try {
      const registry = client.registry(parseReference(`oci://${open.host}/team/proxied`));
      const bytes = randomBytes(40_000);
      const blob = bufferBlob(bytes);
      expect(await pushBlob(registry, "team/proxied", blob)).toBe("uploaded");
      const out = join(work.path, "proxied.bin");
      await pullBlob(registry, "team/proxied", { ...blob, label: "proxied.bin" }, out);
      expect(Buffer.compare(await readFile(out), bytes)).toBe(0);
      expect(proxy.readLog()).toContain("/v2/team/proxied/blobs/");
      expect(log.lines.join("\n")).not.toContain("proxy-canary-31");
    } finally {
      await client.close();
      await proxy.close();
    }
  });
});
