// Benchmark workload 5: a mirror-like wheel set (bench/mirror.ts) served by the real nginx. pystore is
// compared with the floor each step could reach: a parallel `curl` of the same files (and `pip download`),
// `pip install --target` for the first bundle (with peak RSS), `cp -al` / `cp -a` of the finished bundle
// for a warm directory bundle, `tar -c | gzip -6` for tar.gz and `zip -6 -r` for pyz.

import { mkdir, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { startNginxIndex } from "../fixtures/nginx.js";
import { lockFor } from "../fixtures/projects.js";
import { compare, type Row } from "./compare.js";
import { failure, measure, pipEnv, PYSTORE_BIN, pystoreEnv, type Timed, timeCommand } from "./harness.js";
import { buildMirror } from "./mirror.js";

/** Installed bytes re-packed by default; BENCH_MIRROR=full takes every installed distribution. */
const DEFAULT_MIRROR_BYTES = 120 * 1024 * 1024;

function mirrorBudget(): number {
  const value = process.env.BENCH_MIRROR;
  if (value === "full") return 0;
  const mb = Number.parseInt(value ?? "", 10);
  return Number.isFinite(mb) && mb > 0 ? mb * 1024 * 1024 : DEFAULT_MIRROR_BYTES;
}

/**
 * Per connection, for the fetch over a network where each connection is held to a rate (a distant index,
 * a proxy that shapes each stream): on loopback the CPU sets the pace; over such a link, the wire. curl
 * runs as many connections as pystore's default downloads (4), so both have the same bandwidth.
 */
const LIMITED_RATE = "12500k";

let counter = 0;
async function fresh(work: string, label: string): Promise<string> {
  const dir = join(work, `${label}-${++counter}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

function ok(label: string, result: Timed): Timed {
  if (result.code !== 0) throw failure(label, result);
  return result;
}

const sh = (script: string, cwd: string, env: NodeJS.ProcessEnv) => timeCommand("/bin/sh", ["-c", script], { cwd, env });

export async function mirrorWorkload(runs: number, work: string): Promise<Row[]> {
  const cache = process.env.BENCH_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "pystore-bench");
  const mirror = await buildMirror(cache, { maxBytes: mirrorBudget() });
  const nginx = await startNginxIndex(mirror.wheels, { limitRate: LIMITED_RATE });
  const home = join(work, "mirror-home");
  const env = pystoreEnv(join(work, "unused-store"), home);
  const penv = pipEnv(home);
  const rows: Row[] = [];
  const rss: Record<string, number[]> = {};
  const keepRss = (key: string, t: Timed) => {
    if (t.maxRssKb !== undefined) {
      rss[key] ??= [];
      rss[key].push(t.maxRssKb);
    }
    return t;
  };
  try {
    const setup = await fresh(work, "mirror");
    const files = nginx.url.replace(/simple\/$/, "files/");
    const urls = mirror.wheels.map((w) => files + w.filename);
    await writeFile(join(setup, "urls.txt"), `${urls.join("\n")}\n`);
    const lockPath = join(setup, "pylock.toml");
    await writeFile(lockPath, lockFor(mirror.wheels.map((w) => ({ wheel: w, url: files + w.filename }))));
    const pure = mirror.wheels.filter((w) => w.filename.endsWith("-none-any.whl"));
    const pureLock = join(setup, "pure", "pylock.toml");
    await mkdir(join(setup, "pure"), { recursive: true });
    await writeFile(pureLock, lockFor(pure.map((w) => ({ wheel: w, url: files + w.filename }))));
    await writeFile(
      join(setup, "requirements.txt"),
      mirror.wheels.map((w) => `${w.filename.split("-")[0]}==${w.filename.split("-")[1]} --hash=sha256:${w.sha256}`).join("\n"),
    );
    const label = `${mirror.wheels.length} wheels, ${(mirror.totalBytes / 1e6).toFixed(0)} MB`;
    const fetchInto = async (store: string) =>
      keepRss(
        "fetch",
        ok(
          "pystore fetch",
          await timeCommand(process.execPath, [PYSTORE_BIN, "fetch", "--frozen", "-q", "-l", lockPath, "--store", store], {
            cwd: setup,
            env,
          }),
        ),
      );

    // Fetch: empty store vs curl (8 at a time, twice pystore's default of 4 downloads: on loopback the
    // stricter floor) and pip download.
    const fetched = await compare(
      runs,
      async () => {
        const dir = await fresh(work, "fetch");
        return measure(await fetchInto(join(dir, "store")));
      },
      async () => {
        const dir = await fresh(work, "curl");
        return measure(ok("curl", await sh(`xargs -P 8 -n 8 curl -sf --remote-name-all < ${join(setup, "urls.txt")}`, dir, env)));
      },
    );
    rows.push({
      workload: "5. mirror fetch",
      label: `${label}, empty store`,
      pystoreCommand: "pystore fetch --frozen -l pylock.toml",
      pipCommand: "xargs -P 8 curl --remote-name-all < urls",
      ...fetched,
    });
    // The floor of a fetch that, like pystore's, checks every byte against its hash and makes the files
    // durable before it reports: the same curl, then sha256 on both cores, then fsync of every file. The
    // hash is OpenSSL's, which uses the CPU's SHA instructions as Node's does; coreutils' sha256sum (9.1,
    // Debian 12) does not, and took 3x as long, which made this floor look far higher than it is.
    const verified = await compare(
      runs,
      undefined,
      async () => {
        const dir = await fresh(work, "curl-verified");
        const script =
          `xargs -P 8 -n 8 curl -sf --remote-name-all < ${join(setup, "urls.txt")}` +
          " && ls | xargs -P 2 -n 16 openssl dgst -sha256 > /dev/null && sync -- *.whl";
        return measure(ok("curl + openssl dgst -sha256 + sync", await sh(script, dir, env)));
      },
      "see the row above",
    );
    rows.push({
      workload: "5. mirror fetch",
      label: "floor with hashes checked, files synced",
      pystoreCommand: "(row above)",
      pipCommand: "xargs -P 8 curl …; xargs -P 2 openssl dgst -sha256; sync FILES",
      ...verified,
    });
    // The same fetch over a network (nginx holds each connection to LIMITED_RATE), against the same curl.
    const limitedFiles = `${nginx.limitedBase}files/`;
    const limitedLock = join(setup, "limited", "pylock.toml");
    await mkdir(join(setup, "limited"), { recursive: true });
    await writeFile(limitedLock, lockFor(mirror.wheels.map((w) => ({ wheel: w, url: limitedFiles + w.filename }))));
    await writeFile(join(setup, "limited", "urls.txt"), `${mirror.wheels.map((w) => limitedFiles + w.filename).join("\n")}\n`);
    const limited = await compare(
      runs,
      async () => {
        const store = join(await fresh(work, "fetch-limited"), "store");
        const args = [PYSTORE_BIN, "fetch", "--frozen", "-q", "-l", limitedLock, "--store", store];
        return measure(ok("pystore fetch (limited)", await timeCommand(process.execPath, args, { cwd: setup, env })));
      },
      async () => {
        const dir = await fresh(work, "curl-limited");
        return measure(
          ok("curl (limited)", await sh(`xargs -P 4 -n 8 curl -sf --remote-name-all < ${join(setup, "limited", "urls.txt")}`, dir, env)),
        );
      },
    );
    rows.push({
      workload: "5. mirror fetch",
      label: "each connection at 12.5 MB/s, 4 of them",
      pystoreCommand: "pystore fetch --frozen -l pylock.toml (nginx limit_rate 12500k)",
      pipCommand: "xargs -P 4 curl --remote-name-all < urls (the same limit)",
      ...limited,
    });
    const pipDownload = await compare(
      1,
      undefined,
      async () => {
        const dir = await fresh(work, "pipdl");
        const args = [
          "-m",
          "pip",
          "download",
          "--no-deps",
          "--no-cache-dir",
          "-q",
          "-d",
          dir,
          "--index-url",
          nginx.url,
          "-r",
          join(setup, "requirements.txt"),
        ];
        return measure(ok("pip download", await timeCommand("python3", args, { cwd: dir, env: penv })));
      },
      "see the row above",
    );
    rows.push({
      workload: "5. mirror fetch",
      label: "pip download (1 run)",
      pystoreCommand: "(row above)",
      pipCommand: "pip download --no-deps -r requirements.txt (hashes)",
      ...pipDownload,
    });

    // First bundle (trees extracted) vs pip install --target from the same wheels on disk.
    const bundleArgs = (store: string, out: string, lock = lockPath, format = "dir") => [
      PYSTORE_BIN,
      "bundle",
      "build",
      "--no-compile",
      "--frozen",
      "-q",
      "--platform",
      "host",
      "--format",
      format,
      "-l",
      lock,
      "--store",
      store,
      "-o",
      out,
    ];
    const first = await compare(
      runs,
      async () => {
        const dir = await fresh(work, "first");
        await fetchInto(join(dir, "store"));
        return measure(
          keepRss(
            "first bundle",
            ok(
              "pystore bundle",
              await timeCommand(process.execPath, bundleArgs(join(dir, "store"), join(dir, "out")), { cwd: setup, env }),
            ),
          ),
        );
      },
      async () => {
        const dir = await fresh(work, "pip-target");
        const args = [
          "-m",
          "pip",
          "install",
          "--no-deps",
          "--no-compile",
          "--no-index",
          "--find-links",
          mirror.dir,
          "--target",
          join(dir, "t"),
          "-q",
          "-r",
          join(setup, "requirements.txt"),
        ];
        return measure(keepRss("pip install --target", ok("pip install", await timeCommand("python3", args, { cwd: dir, env: penv }))));
      },
    );
    rows.push({
      workload: "5. mirror bundle",
      label: "first dir bundle (extracts trees)",
      pystoreCommand: "pystore bundle --no-compile (store just fetched)",
      pipCommand: "pip install --no-deps --no-compile --no-index --find-links DIR --target T",
      ...first,
    });

    // Warm: trees exist. dir vs cp -al / cp -a of the finished bundle; tar.gz vs tar | gzip -6; pyz vs zip -6.
    const warm = await fresh(work, "warm");
    const store = join(warm, "store");
    await fetchInto(store);
    ok("prime", await timeCommand(process.execPath, bundleArgs(store, join(warm, "primed")), { cwd: setup, env }));
    ok("prime pure", await timeCommand(process.execPath, bundleArgs(store, join(warm, "pure-primed"), pureLock), { cwd: setup, env }));
    const primed = join(warm, "primed");
    const warmRow = async (
      name: string,
      pystore: (dir: string) => string[],
      floor: (dir: string) => string,
      floorCommand: string,
      pystoreCommand: string,
    ) => {
      const result = await compare(
        runs,
        async () => {
          const dir = await fresh(work, "w");
          return measure(ok(`pystore ${name}`, await timeCommand(process.execPath, pystore(dir), { cwd: setup, env })));
        },
        async () => {
          const dir = await fresh(work, "floor");
          return measure(ok(floorCommand, await sh(floor(dir), dir, env)));
        },
      );
      rows.push({ workload: "5. mirror bundle", label: name, pystoreCommand, pipCommand: floorCommand, ...result });
    };
    await warmRow(
      "dir, warm store vs cp -al",
      (d) => bundleArgs(store, join(d, "out")),
      () => `cp -al ${primed} out`,
      "cp -al BUNDLE out",
      "pystore bundle --format dir",
    );
    await warmRow(
      "dir, warm store vs cp -a",
      (d) => bundleArgs(store, join(d, "out")),
      () => `cp -a ${primed} out`,
      "cp -a BUNDLE out",
      "pystore bundle --format dir",
    );
    await warmRow(
      "tar.gz vs tar | gzip -6",
      (d) => bundleArgs(store, join(d, "b.tar.gz"), lockPath, "tar.gz"),
      () => `tar -C ${primed} -cf - . | gzip -6 > b.tar.gz`,
      "tar -cf - BUNDLE | gzip -6",
      "pystore bundle --format tar.gz",
    );
    await warmRow(
      `pyz (${pure.length} pure wheels) vs zip -6`,
      (d) => bundleArgs(store, join(d, "b.pyz"), pureLock, "pyz"),
      () => `cd ${join(warm, "pure-primed")} && zip -6 -q -r -X $OLDPWD/b.zip .`,
      "zip -6 -r BUNDLE",
      "pystore bundle --format pyz",
    );
  } finally {
    await nginx.close();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const peak = Object.fromEntries(Object.entries(rss).map(([k, v]) => [k, `${Math.round(median(v) / 1024)} MiB`]));
  if (rows.length > 0) rows[0].details = { wheels: mirror.wheels.length, bytes: mirror.totalBytes, peakRssMedian: peak };
  const first = rows.find((r) => r.label.startsWith("first"));
  if (first) first.details = { peakRssMedian: peak };
  return rows;
}
