// ustar/PAX header fields, read one way for every tar pystore reads (closure archives, sdists) and
// written one way by every tar it writes (bundles, interpreter identities, packed sources): NUL-ended
// text fields, octal numbers (base-256 refused: writers pystore reads never need them, and readers
// disagree on them), the header checksum, and strict PAX records. Pure.

/** A text field: up to its first NUL, UTF-8. */
export function tarField(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? length : nul).toString("utf8");
}

/** An octal number field; NaN when it is not one (or is GNU base-256). */
export function tarOctal(block: Buffer, start: number, length: number): number {
  if (block[start] & 0x80) return Number.NaN;
  const text = tarField(block, start, length).trim();
  return text === "" ? 0 : /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : Number.NaN;
}

/** Whether the header's checksum (the sum of its bytes, the checksum field counted as spaces) holds. */
export function tarChecksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum === tarOctal(block, 148, 8);
}

/**
 * PAX records ("len key=value\n"). A record whose length does not add up, or a key set twice (readers
 * disagree on which one wins), is refused through `fail`.
 */
export function tarPaxRecords(data: Buffer, fail: (why: string) => Error): Map<string, string> {
  const out = new Map<string, string>();
  let p = 0;
  while (p < data.length) {
    const space = data.indexOf(0x20, p);
    const len = Number(data.subarray(p, space).toString("latin1"));
    if (space < 0 || !Number.isInteger(len) || len <= 0 || p + len > data.length || data[p + len - 1] !== 0x0a)
      throw fail("has a malformed record");
    const record = data.subarray(space + 1, p + len - 1).toString("utf8");
    const eq = record.indexOf("=");
    const key = record.slice(0, eq);
    if (out.has(key)) throw fail(`sets ${key} twice`);
    out.set(key, record.slice(eq + 1));
    p += len;
  }
  return out;
}

/** An octal number field of `width` bytes as ustar writes it: zero-padded, NUL-ended. */
export function tarOctalField(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

/** One PAX record, "len key=value\n", where len counts its own digits too. */
export function tarPaxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return Buffer.from(`${length}${body}`);
}
