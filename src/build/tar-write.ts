// The one canonical tar.gz pystore writes for a local source tree: ustar members under one top directory,
// owner 0, time 0, modes 0644/0755, PAX records for long names; gzip without a name or time. Pure.

import { gzipSync } from "node:zlib";
import { tarOctalField as octal, tarPaxRecord as paxRecord } from "../util/tar-header.js";

function header(name: string, size: number, mode: number, type: "0" | "5" | "x"): Buffer {
  const block = Buffer.alloc(512);
  block.write(name.slice(0, 99), 0, 100, "utf8");
  block.write(octal(mode, 8), 100, "latin1");
  block.write(octal(0, 8), 108, "latin1");
  block.write(octal(0, 8), 116, "latin1");
  block.write(octal(size, 12), 124, "latin1");
  block.write(octal(0, 12), 136, "latin1");
  block.write("        ", 148, "latin1");
  block.write(type, 156, "latin1");
  block.write("ustar\u000000", 257, "latin1");
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return block;
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

export function tarGzOf(top: string, files: { path: string; data: Buffer; executable: boolean }[]): Buffer {
  const parts: Buffer[] = [header(`${top}/`, 0, 0o755, "5")];
  for (const f of files) {
    const name = `${top}/${f.path}`;
    if (Buffer.byteLength(name) > 99) {
      const pax = paxRecord("path", name);
      parts.push(header("././@PaxHeader", pax.length, 0o644, "x"), pax, pad(pax.length));
    }
    parts.push(header(name, f.data.length, f.executable ? 0o755 : 0o644, "0"), f.data, pad(f.data.length));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}
