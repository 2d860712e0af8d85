// Building sdists as derivations: the sdist fetched into the store by sha256 and read safely, metadata
// from static PKG-INFO when PEP 643 allows, else from the backend; the wheel built in a locked, isolated
// environment, checked, stored with its provenance, and reused whenever the same inputs come again.

import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { PystoreError } from "../errors.js";
import type { IndexClient } from "../index-client/client.js";
import type { ResolverProvider } from "../resolver/resolve.js";
import { type CoreMetadata, parseCoreMetadata } from "../standards/metadata.js";
import { canonicalizeName } from "../standards/normalize.js";
import { compareVersions } from "../standards/pep440.js";
import { parseRequirement } from "../standards/pep508.js";
import type { ProjectFile } from "../standards/simple-api.js";
import { rankWheel } from "../standards/tags.js";
import type { Target } from "../standards/targets.js";
import { parseSdistFilename, parseWheelFilename } from "../standards/wheel-filename.js";
import { tmpDir } from "../store/layout.js";
import { sourcePath, storedSource } from "../store/sources.js";
import type { Store, StoreEntry } from "../store/store.js";
import { tempName } from "../util/atomic-write.js";
import { hashFile } from "../util/hash-file.js";
import type { Logger } from "../util/log.js";
import { redactUrl } from "../util/redact.js";
import { stableJson } from "../util/stable-json.js";
import { buildKey, type Derivation, makeDerivation } from "./derivation.js";
import {
  type BuildWheel,
  buildWheelsOf,
  type InstalledEnvironment,
  installEnvironment,
  lockedFiles,
  resolveBuildRequires,
  storeBuildWheels,
} from "./environment.js";
import { type BuildInterpreter, buildInterpreterFor, interpreterCandidates } from "./interpreter.js";
import { type HookRequest, runHook } from "./sandbox.js";
import { pkgInfoOf, readSdist, type SdistContents, unpackSdist } from "./sdist-archive.js";
import { type BuildSystem, buildSystemOf } from "./source-tree.js";
import { checkIdentity, readPkgInfo } from "./static-metadata.js";

/** Zip cannot record times before 1980; wheels built from older sdists get this floor. */
const MIN_SOURCE_DATE_EPOCH = 315532800;

export interface BuilderOptions {
  store: Store;
  /** Downloads sdists and build requirements. */
  client: IndexClient;
  /** Resolves build requirements (the same indexes as the lock); absent when every build is locked. */
  provider?: ResolverProvider;
  /** The build-python setting (--build-python, PYSTORE_PYTHON, the user file); absent: python3.X on PATH. */
  python?: string;
  /** --build-network: leave the network to the backend (recorded in every derivation). */
  network: boolean;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

export interface BuildResult {
  entry: StoreEntry;
  buildKey: string;
  derivation: Derivation;
  /** The build environment, as the lock records it. */
  wheels: BuildWheel[];
  /** True when the store already held this derivation's wheel (nothing was built). */
  reused: boolean;
}

interface Sdist {
  file: ProjectFile;
  path: string;
  sha256: string;
  size: number;
  name: string;
  version: string;
  contents: SdistContents;
  buildSystem: BuildSystem;
}

interface Environment extends InstalledEnvironment {
  interpreter: BuildInterpreter;
  derivation: Derivation;
  key: string;
}

export class SdistBuilder {
  private readonly sdists = new Map<string, Promise<Sdist>>();
  private readonly envs = new Map<string, Promise<Environment>>();
  private readonly builds = new Map<string, Promise<BuildResult>>();
  private readonly scratch: string[] = [];
  /** Wheels built (not reused) in this run, for the caller's summary. */
  built = 0;

  constructor(private readonly opts: BuilderOptions) {}

  /** The sdist's bytes in the store (downloaded once, checked against the index's sha256), read and checked. */
  sdist(file: ProjectFile): Promise<Sdist> {
    let pending = this.sdists.get(file.url);
    if (!pending) {
      pending = this.loadSdist(file);
      this.sdists.set(file.url, pending);
    }
    return pending;
  }

  private async loadSdist(file: ProjectFile): Promise<Sdist> {
    const { store, client } = this.opts;
    const parsed = parseSdistFilename(file.filename);
    const expected = file.hashes.sha256?.toLowerCase();
    let path = expected ? await storedSource(store.dir, expected, file.filename) : undefined;
    if (!path) {
      const temp = join(tmpDir(store.dir), tempName("sdist"));
      this.opts.log.info(`fetching ${file.filename} from ${redactUrl(file.url)}`);
      await client.downloadToFile(file, temp, { tempDir: tmpDir(store.dir), expected: { sha256: expected, size: file.size } });
      const { sha256 } = await hashFile(temp);
      path = sourcePath(store.dir, sha256, file.filename);
      await mkdir(join(path, ".."), { recursive: true });
      // The name is the content's hash: another writer's file there holds the same bytes.
      if (existsSync(path)) await rm(temp, { force: true });
      else await rename(temp, path);
    }
    const bytes = await readFile(path);
    const { sha256, size } = await hashFile(path);
    const contents = readSdist(file.filename, bytes);
    const pyproject = contents.members.find((m) => m.path === "pyproject.toml")?.data.toString("utf8");
    const buildSystem = buildSystemOf(pyproject, file.filename);
    return {
      file: { ...file, hashes: { ...file.hashes, sha256 } },
      path,
      sha256,
      size,
      name: parsed.name,
      version: parsed.version,
      contents,
      buildSystem,
    };
  }

  /** The project's core metadata: PKG-INFO when PEP 643 makes it final, else the backend's answer (cached in the store). */
  async metadata(file: ProjectFile, target: Target): Promise<CoreMetadata> {
    const sdist = await this.sdist(file);
    const identity = { name: sdist.name, version: sdist.version };
    const cached = this.opts.store.builds.metadata(sdist.sha256, "pkg-info");
    if (cached) return parseCoreMetadata(cached.metadata, `${file.filename}/PKG-INFO`);
    const pkgInfo = pkgInfoOf(sdist.contents);
    if (pkgInfo !== undefined) {
      const { meta, static: isStatic } = readPkgInfo(pkgInfo, identity, `${file.filename}/PKG-INFO`);
      if (isStatic) {
        this.opts.log.debug(`${file.filename}: static metadata (PKG-INFO ${meta.metadataVersion}, PEP 643)`);
        this.opts.store.builds.recordMetadata(sdist.sha256, "pkg-info", "pkg-info", pkgInfo);
        return meta;
      }
    }
    const env = await this.environment(sdist, target);
    const known = this.opts.store.builds.metadata(sdist.sha256, env.key);
    if (known) return parseCoreMetadata(known.metadata, `${file.filename} (metadata)`);
    const text = await this.prepareMetadata(sdist, env);
    const source = `${file.filename} (backend metadata)`;
    const meta = parseCoreMetadata(text, source);
    checkIdentity(meta, identity, source);
    return meta;
  }

  private async prepareMetadata(sdist: Sdist, env: Environment): Promise<string> {
    const root = await this.scratchDir(sdist);
    const source = join(root, "src");
    await unpackSdist(sdist.contents, source);
    const outputDir = join(root, "metadata");
    await mkdir(outputDir);
    const answer = await runHook(this.hookRequest(sdist, env, root, "prepare_metadata_for_build_wheel", outputDir));
    if (answer.unsupported) {
      // PEP 517: without the hook, the wheel itself is the only source of metadata (and it is kept).
      const built = await this.buildWith(sdist, env, env.interpreter.target.id);
      this.opts.store.builds.recordMetadata(sdist.sha256, env.key, "build_wheel", built.entry.metadata);
      return built.entry.metadata;
    }
    const distInfo = String(answer.result);
    if (distInfo.includes("/") || distInfo.includes("..") || !distInfo.endsWith(".dist-info"))
      throw new PystoreError(
        "BUILD_FAILED",
        `${sdist.file.filename}: the backend named ${JSON.stringify(distInfo)} as its metadata directory`,
      );
    const text = await readFile(join(outputDir, distInfo, "METADATA"), "utf8");
    this.opts.store.builds.recordMetadata(sdist.sha256, env.key, "prepare_metadata_for_build_wheel", text);
    return text;
  }

  /** Build (or reuse) the wheel of `file` for `target`; `locked` pins the build environment to a lock's wheels. */
  async build(file: ProjectFile, target: Target, locked?: BuildWheel[], network = this.opts.network): Promise<BuildResult> {
    const sdist = await this.sdist(file);
    const env = await this.environment(sdist, target, locked, network);
    const result = await this.buildWith(sdist, env, target.id);
    checkFits(result.entry, target, sdist.file.filename);
    return result;
  }

  private buildWith(sdist: Sdist, env: Environment, targetId: string): Promise<BuildResult> {
    let pending = this.builds.get(env.key);
    if (!pending) {
      pending = this.runBuild(sdist, env, targetId);
      this.builds.set(env.key, pending);
    }
    return pending;
  }

  private async runBuild(sdist: Sdist, env: Environment, targetId: string): Promise<BuildResult> {
    const { store, log } = this.opts;
    const previous = store.builds.get(env.key);
    const stored = previous && store.get(previous.sha256);
    if (stored) {
      log.info(`${sdist.file.filename}: reusing the built ${stored.filename} (same inputs, build ${env.key.slice(0, 12)})`);
      store.touch(stored.sha256);
      return { entry: stored, buildKey: env.key, derivation: env.derivation, wheels: env.wheels, reused: true };
    }
    const { path, filename } = await this.buildOnce(sdist, env);
    // Vetted like every wheel (archive safety, .dist-info against the name, RECORD) before it is stored.
    const entry = await store.addWheelFile(path, { filename });
    store.builds.record({
      buildKey: env.key,
      sha256: entry.sha256,
      sdistSha256: sdist.sha256,
      derivation: stableJson(env.derivation),
      target: targetId,
    });
    this.built++;
    log.info(`built ${filename} (sha256 ${entry.sha256.slice(0, 16)}…)`);
    return { entry, buildKey: env.key, derivation: env.derivation, wheels: env.wheels, reused: false };
  }

  /** Unpack, run build_wheel, and check the file name against the sdist; the wheel is left in the scratch directory. */
  private async buildOnce(sdist: Sdist, env: Environment): Promise<{ path: string; filename: string }> {
    this.opts.log.info(
      `building ${sdist.file.filename} with Python ${env.interpreter.version} (${env.derivation.network ? "network allowed" : "no network"})`,
    );
    const root = await this.scratchDir(sdist);
    const source = join(root, "src");
    await unpackSdist(sdist.contents, source);
    const outputDir = join(root, "dist");
    await mkdir(outputDir);
    const answer = await runHook(this.hookRequest(sdist, env, root, "build_wheel", outputDir));
    const filename = String(answer.result);
    let wheelName: ReturnType<typeof parseWheelFilename>;
    try {
      wheelName = parseWheelFilename(filename);
    } catch (error) {
      throw new PystoreError(
        "BUILD_FAILED",
        `${sdist.file.filename}: the backend returned ${JSON.stringify(filename)}, not a wheel file name`,
        {
          cause: error,
        },
      );
    }
    if (wheelName.normalizedName !== canonicalizeName(sdist.name) || compareVersions(wheelName.version, sdist.version) !== 0) {
      throw new PystoreError("BUILD_FAILED", `${sdist.file.filename} built ${filename}, which is not ${sdist.name} ${sdist.version}`, {
        hint: "the sdist's name or version disagrees with what its backend builds; nothing was stored",
      });
    }
    return { path: join(outputDir, filename), filename };
  }

  /**
   * Build again, ignoring any stored build of the same inputs, and compare the bytes with `expected`
   * (`lock --check-builds`): BUILD_NOT_REPRODUCIBLE when they differ. Nothing is stored.
   */
  async check(
    file: ProjectFile,
    target: Target,
    expected: { sha256: string; wheel: string },
    locked?: BuildWheel[],
    network = this.opts.network,
  ): Promise<void> {
    const sdist = await this.sdist(file);
    const env = await this.environment(sdist, target, locked, network);
    const { path } = await this.buildOnce(sdist, env);
    const { sha256 } = await hashFile(path);
    if (sha256 !== expected.sha256) {
      // Kept beside the build logs, so the two wheels can be compared after this run's scratch is gone.
      const kept = join(this.opts.store.dir, "build-logs", `${sha256.slice(0, 16)}-${expected.wheel}`);
      await copyFile(path, kept);
      throw new PystoreError(
        "BUILD_NOT_REPRODUCIBLE",
        `${file.filename} built again gives ${expected.wheel} with sha256 ${sha256}, not ${expected.sha256}`,
        {
          hint: `the build depends on something outside its recorded inputs; compare the new wheel ${kept} with the stored one (pystore store path ${expected.sha256.slice(0, 12)})`,
          details: { sdist: file.filename, expected: expected.sha256, found: sha256, build: env.key },
        },
      );
    }
    this.opts.log.info(`${expected.wheel}: rebuilt byte for byte (sha256 ${sha256.slice(0, 16)}…)`);
  }

  private async interpreter(sdist: Sdist, target: Target): Promise<BuildInterpreter> {
    const interpreter = await buildInterpreterFor(target, this.opts.python, this.opts.env);
    if (!interpreter) {
      const looked = interpreterCandidates(target, this.opts.python).join(", ");
      throw unsupported(sdist.file.filename, target, `this machine has no Python ${target.python} to build with (looked for ${looked})`);
    }
    return interpreter;
  }

  /** The locked or resolved build environment of `sdist` for `target`, installed once per run. */
  private environment(sdist: Sdist, target: Target, locked?: BuildWheel[], network = this.opts.network): Promise<Environment> {
    const key = `${sdist.sha256}|${target.python}|${network}|${locked ? stableJson(locked) : "resolve"}`;
    let pending = this.envs.get(key);
    if (!pending) {
      pending = this.makeEnvironment(sdist, target, locked, network);
      this.envs.set(key, pending);
    }
    return pending;
  }

  private async makeEnvironment(sdist: Sdist, target: Target, locked: BuildWheel[] | undefined, network: boolean): Promise<Environment> {
    const interpreter = await this.interpreter(sdist, target);
    const label = sdist.file.filename;
    const install = async (files: ProjectFile[]): Promise<Environment> => {
      const entries = await storeBuildWheels(files, this.opts.store, this.opts.client);
      const wheels = buildWheelsOf(files, entries);
      const prefix = join(await this.scratchDir(sdist), "env");
      const installed = await installEnvironment(entries, prefix, interpreter.executable, wheels);
      const derivation = makeDerivation({
        sdist: { filename: label, sha256: sdist.sha256 },
        buildRequires: wheels,
        interpreter: {
          implementation: interpreter.implementation,
          version: interpreter.version,
          platform: interpreter.platform,
          soabi: interpreter.soabi,
        },
        network,
      });
      return { ...installed, interpreter, derivation, key: buildKey(derivation) };
    };
    if (locked) return install(lockedFiles(locked));
    const requires = sdist.buildSystem.requires;
    const provider = this.opts.provider;
    if (!provider)
      throw new PystoreError("INTERNAL", `internal: ${label} needs its build requirements resolved, but no resolver was given`);
    const first = await install(await resolveBuildRequires(requires, interpreter, provider, label, this.opts.log));
    // PEP 517's dynamic build requirements (setuptools asks for `wheel` this way): a second round when
    // the backend names something the first environment lacks.
    const root = await this.scratchDir(sdist);
    await unpackSdist(sdist.contents, join(root, "src"));
    const answer = await runHook(this.hookRequest(sdist, first, root, "get_requires_for_build_wheel", root));
    const have = new Set(first.wheels.map((w) => canonicalizeName(w.name)));
    const extra = ((answer.result as string[] | undefined) ?? [])
      .map((r) => parseRequirement(r))
      .filter((r) => !have.has(canonicalizeName(r.name)));
    if (extra.length === 0) return first;
    this.opts.log.debug(`${label}: the backend also needs ${extra.map((r) => r.name).join(", ")}`);
    return install(await resolveBuildRequires([...requires, ...extra], interpreter, provider, label, this.opts.log));
  }

  private hookRequest(sdist: Sdist, env: Environment, root: string, hook: HookRequest["hook"], outputDir: string): HookRequest {
    return {
      python: env.interpreter.executable,
      hook,
      sourceDir: join(root, "src"),
      outputDir,
      backend: sdist.buildSystem.backend,
      backendPath: sdist.buildSystem.backendPath,
      siteDirs: [env.siteDir],
      scriptsDir: env.scriptsDir,
      workDir: root,
      buildRoot: root,
      protect: this.opts.store.dir,
      logFile: this.logFile(sdist),
      sourceDateEpoch: Math.max(MIN_SOURCE_DATE_EPOCH, sdist.contents.newest),
      network: env.derivation.network,
      label: sdist.file.filename,
    };
  }

  private logFile(sdist: Sdist): string {
    return join(this.opts.store.dir, "build-logs", `${sdist.sha256.slice(0, 16)}-${sdist.file.filename}.log`);
  }

  /** A fresh private directory in the store's tmp/ (debris of a killed run is removed by the next store open). */
  private async scratchDir(sdist: Sdist): Promise<string> {
    await mkdir(join(this.opts.store.dir, "build-logs"), { recursive: true });
    const dir = join(tmpDir(this.opts.store.dir), tempName(`build-${canonicalizeName(sdist.name)}`));
    await mkdir(dir, { recursive: true });
    this.scratch.push(dir);
    return dir;
  }

  /** Remove every scratch directory of this run (builds stay in the store). */
  async close(): Promise<void> {
    await Promise.all(this.scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

function unsupported(sdist: string, target: Target, why: string): PystoreError {
  return new PystoreError("BUILD_UNSUPPORTED_TARGET", `cannot build ${sdist} for target ${target.id}: ${why}`, {
    hint: `build it on a machine matching ${target.id} (pystore lock or fetch there), then bring the wheel here with \`pystore store add WHEEL\``,
    details: { sdist, target: target.id },
  });
}

/** The built wheel's tags must be ones the target installs (a linux_x86_64 build cannot serve win_amd64). */
function checkFits(entry: StoreEntry, target: Target, sdist: string): void {
  if (rankWheel(target, parseWheelFilename(entry.filename).tags) !== undefined) return;
  throw unsupported(sdist, target, `this machine builds ${entry.filename}, whose tags do not fit the target`);
}
