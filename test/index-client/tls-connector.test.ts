// The shared TLS connector (src/index-client/tls.ts): every https connection of an agent shares one
// SecureContext made from the CA list on the first of them; plain http never makes one; verification stays on.

import { rootCertificates } from "node:tls";
import type { buildConnector } from "undici";
import { describe, expect, it } from "vitest";
import { sharedTlsConnector } from "../../src/index-client/tls.js";

type Built = { options: buildConnector.BuildOptions; targets: string[] };

/** A fake undici buildConnector that records what each built connector was made with and asked for. */
function recorder(): { build: typeof buildConnector; built: Built[] } {
  const built: Built[] = [];
  const build = ((options: buildConnector.BuildOptions) => {
    const record: Built = { options, targets: [] };
    built.push(record);
    return (target: buildConnector.Options) => {
      record.targets.push(`${target.protocol}//${target.hostname}`);
    };
  }) as unknown as typeof buildConnector;
  return { build, built };
}

const connectTo = (connect: buildConnector.connector, protocol: string, hostname: string) =>
  connect({ protocol, hostname, host: hostname, port: "" } as buildConnector.Options, () => {});

describe("sharedTlsConnector", () => {
  const ca = rootCertificates.slice(0, 3);
  const options = { timeout: 1000, rejectUnauthorized: true };

  it("makes one SecureContext for every https connection, none for http", () => {
    const { build, built } = recorder();
    const connect = sharedTlsConnector(build, options, ca);
    connectTo(connect, "http:", "a");
    expect(built).toHaveLength(1);
    expect(built[0].options).toEqual(options);
    for (const host of ["a", "b", "a"]) connectTo(connect, "https:", host);
    connectTo(connect, "http:", "b");
    expect(built).toHaveLength(2);
    const secure = built[1];
    expect(secure.targets).toEqual(["https://a", "https://b", "https://a"]);
    expect(built[0].targets).toEqual(["http://a", "http://b"]);
    expect((secure.options as { secureContext?: unknown }).secureContext).toBeDefined();
    // The CA list travels in the context, and verification is still asked for.
    expect(secure.options).toMatchObject({ rejectUnauthorized: true, timeout: 1000 });
    expect("ca" in secure.options).toBe(false);
  });

  it("leaves Node's default roots alone when there is no CA list", () => {
    const { build, built } = recorder();
    const connect = sharedTlsConnector(build, options, undefined);
    connectTo(connect, "https:", "a");
    expect(built[0].options).toEqual(options);
  });
});
