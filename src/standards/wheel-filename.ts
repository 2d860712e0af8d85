// Wheel and sdist filenames: PEP 427 and the living binary/source distribution format specs
// (packaging.python.org/specifications/binary-distribution-format/, .../source-distribution-format/).

import { PystoreError } from "../errors.js";
import { canonicalizeName } from "./normalize.js";
import { isValidVersion } from "./pep440.js";

export interface WheelFilename {
  filename: string;
  /** The distribution component as written (escaped: `-` cannot appear). */
  name: string;
  normalizedName: string;
  version: string;
  /** `number` is for reading (approximate past 2^53); tags.ts orders build tags by their digits. */
  buildTag?: { number: number; suffix: string };
  pythonTags: string[];
  abiTags: string[];
  platformTags: string[];
  /** Every `py-abi-plat` triple the compressed tag set stands for, lower-case, in filename order. */
  tags: string[];
}

export interface SdistFilename {
  filename: string;
  name: string;
  normalizedName: string;
  version: string;
  /** ".tar.gz" or ".zip" */
  extension: string;
}

// Names are validated per PEP 508's name grammar (with `_` standing in for `-`); tag parts are the
// characters tag generators produce. Both are kept lenient enough for wheels that exist on PyPI.
const NAME_COMPONENT = /^[A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?$/;
const TAG_PART = /^[A-Za-z0-9_]+$/;
/**
 * How many `py-abi-plat` triples a compressed tag set may stand for. Real wheels stay under a hundred;
 * the expansion is a product, so a file name a few kilobytes long could otherwise ask for billions.
 */
export const MAX_WHEEL_TAGS = 4096;

function wheelError(filename: string, reason: string, hint?: string): PystoreError {
  return new PystoreError("INVALID_WHEEL_FILENAME", `The wheel filename \`${filename}\` is invalid: ${reason}`, {
    hint: hint ?? "wheel filenames look like `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`",
    details: { filename },
  });
}

function splitTagComponent(filename: string, component: string, what: string): string[] {
  const parts = component.split(".");
  for (const part of parts) {
    if (!TAG_PART.test(part)) throw wheelError(filename, `the ${what} tag \`${component}\` is malformed`);
  }
  return parts;
}

/** Parse a wheel filename; throws INVALID_WHEEL_FILENAME quoting the name. */
export function parseWheelFilename(filename: string): WheelFilename {
  if (!filename.endsWith(".whl")) throw wheelError(filename, "it does not end in `.whl`");
  const stem = filename.slice(0, -".whl".length);
  const parts = stem.split("-");
  if (parts.length !== 5 && parts.length !== 6) {
    throw wheelError(filename, `expected 5 or 6 dash-separated components, found ${parts.length}`);
  }
  const [name, version] = parts as [string, string];
  if (!NAME_COMPONENT.test(name)) throw wheelError(filename, `the distribution name \`${name}\` is not a valid project name`);
  if (!isValidVersion(version)) throw wheelError(filename, `the version \`${version}\` is not a valid PEP 440 version`);

  let buildTag: WheelFilename["buildTag"];
  if (parts.length === 6) {
    const raw = parts[2]!;
    // The spec: a build tag must start with a digit; it sorts as (number, rest of the string).
    const match = /^(\d+)(.*)$/.exec(raw);
    if (!match) throw wheelError(filename, `the build tag \`${raw}\` does not start with a digit`);
    buildTag = { number: Number(match[1]), suffix: match[2]! };
  }
  const [py, abi, plat] = parts.slice(-3) as [string, string, string];
  const pythonTags = splitTagComponent(filename, py, "python");
  const abiTags = splitTagComponent(filename, abi, "ABI");
  const platformTags = splitTagComponent(filename, plat, "platform");
  const expansion = pythonTags.length * abiTags.length * platformTags.length;
  if (expansion > MAX_WHEEL_TAGS) {
    throw wheelError(
      filename,
      `its compressed tag set stands for ${expansion} tags, more than the ${MAX_WHEEL_TAGS} pystore accepts`,
      "a real wheel names a few dozen tags at most; the index served a hostile or broken file name",
    );
  }

  const tags: string[] = [];
  const seen = new Set<string>();
  for (const p of pythonTags) {
    for (const a of abiTags) {
      for (const t of platformTags) {
        const tag = `${p}-${a}-${t}`.toLowerCase();
        if (!seen.has(tag)) {
          seen.add(tag);
          tags.push(tag);
        }
      }
    }
  }
  const result: WheelFilename = {
    filename,
    name,
    normalizedName: canonicalizeName(name),
    version,
    pythonTags,
    abiTags,
    platformTags,
    tags,
  };
  if (buildTag) result.buildTag = buildTag;
  return result;
}

export function isWheelFilename(filename: string): boolean {
  try {
    parseWheelFilename(filename);
    return true;
  } catch {
    return false;
  }
}

const SDIST_EXTENSIONS = [".tar.gz", ".zip"];

/** Parse an sdist filename (`{name}-{version}.tar.gz`, legacy `.zip`); throws INVALID_SDIST_FILENAME. */
export function parseSdistFilename(filename: string): SdistFilename {
  const fail = (reason: string) =>
    new PystoreError("INVALID_SDIST_FILENAME", `The source distribution filename \`${filename}\` is invalid: ${reason}`, {
      hint: "source distribution filenames look like `{name}-{version}.tar.gz`",
      details: { filename },
    });
  const extension = SDIST_EXTENSIONS.find((ext) => filename.toLowerCase().endsWith(ext));
  if (!extension) throw fail("it does not end in `.tar.gz` or `.zip`");
  const stem = filename.slice(0, -extension.length);
  // Legacy sdists may keep dashes in the name; the version never contains one, so split at the last.
  const dash = stem.lastIndexOf("-");
  if (dash <= 0) throw fail("there is no `-` between the name and the version");
  const name = stem.slice(0, dash);
  const version = stem.slice(dash + 1);
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(name)) {
    throw fail(`the name \`${name}\` is not a valid project name`);
  }
  if (!isValidVersion(version)) throw fail(`the version \`${version}\` is not a valid PEP 440 version`);
  return { filename, name, normalizedName: canonicalizeName(name), version, extension };
}
