import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildInit } from './build-init';
import { type Compression, writeCpio } from './cpio-archive';
import { extractVmlinux } from './extract-vmlinux';
import { bufferDigest, fileDigest } from './file-digest';
import { baseEntries, GUEST_AGENT_DIR, GUEST_CRUN, GUEST_IP, GUEST_NODE, hostFileEntries, hostMode, listFiles, moduleEntries } from './guest-tree';
import { ImageBuildError } from './image-build-error';
import { fetchKernel, resolveKernelPackage } from './kernel-package';
import type { GuestEntry } from './guest-entry';
import { type ArtefactInfo, type GuestImageManifest, IMAGE_FILE, IMAGE_INITRD_FILE, INITRD_FILE, MANIFEST_FILE, VMLINUX_FILE, VMLINUZ_FILE } from './manifest';
import { moduleLoadOrder } from './module-order';
import { type Progress, silentProgress } from './progress';
import { findRepoRoot } from './repo-paths';
import { checkTools } from './required-tools';
import { writeRootImage } from './root-image';
import { runCommand } from './run-command';
import { isElf, sharedLibraries } from './shared-libraries';

/** Bump when the builder changes what it puts in the image, so caches are invalidated. */
const RECIPE_VERSION = 2;

/** Uncompressed boots fastest under TCG (measured, see apps/image-builder/README.md). */
export const DEFAULT_COMPRESSION: Compression = 'none';

export interface BuildGuestImageOptions {
  /** Output folder; default <repo>/build/guest. */
  outDir?: string;
  /** Downloads, unpacked kernel, compiled init, stripped Node; default <outDir>/.cache. */
  cacheDir?: string;
  /** Everything here goes to /opt/kata-agent/; default <repo>/apps/agent/dist. */
  agentDir?: string;
  /** Default: the Node running the builder. */
  nodeBinary?: string;
  /** Default /usr/bin/crun (Debian's crun package). */
  crunBinary?: string;
  /** Default /usr/bin/ip (Debian's iproute2): the agent configures the pod's NICs with it. */
  ipBinary?: string;
  compression?: Compression;
  /** A linux-image-* package; default whatever linux-image-amd64 depends on. */
  kernelPackage?: string;
  /** Module names; default guest-image/modules.txt. */
  modules?: string[];
  /** What the image's initrd adds to mount the root image; default guest-image/root-modules.txt. */
  rootModules?: string[];
  /** Rebuild even when the inputs did not change. */
  force?: boolean;
  progress?: Progress;
}

export interface BuildGuestImageResult {
  outDir: string;
  manifest: GuestImageManifest;
  /** True when nothing changed and the existing artefacts were kept. */
  cached: boolean;
  vmlinuz: string;
  vmlinux: string;
  initrd: string;
  image: string;
  imageInitrd: string;
}

export async function buildGuestImage(options: BuildGuestImageOptions = {}): Promise<BuildGuestImageResult> {
  const repo = findRepoRoot();
  const progress = options.progress ?? silentProgress;
  const outDir = resolve(options.outDir ?? join(repo, 'build', 'guest'));
  const cacheDir = resolve(options.cacheDir ?? join(outDir, '.cache'));
  const agentDir = resolve(options.agentDir ?? join(repo, 'apps', 'agent', 'dist'));
  const nodeBinary = options.nodeBinary ?? process.execPath;
  const crunBinary = options.crunBinary ?? '/usr/bin/crun';
  const ipBinary = options.ipBinary ?? '/usr/bin/ip';
  const compression = options.compression ?? DEFAULT_COMPRESSION;
  const modules = options.modules ?? readModuleList(join(repo, 'guest-image', 'modules.txt'));
  const rootModules = options.rootModules ?? readModuleList(join(repo, 'guest-image', 'root-modules.txt'));
  const initSource = join(repo, 'guest-image', 'init', 'kata-init.c');

  checkTools(compression === 'lz4' ? undefined : ['apt-get', 'apt-cache', 'dpkg-deb', 'depmod', 'gcc', 'strip', 'ldd', 'xz', 'mkfs.ext4', 'debugfs']);
  if (!existsSync(join(agentDir, 'kata-agent.mjs')))
    throw new ImageBuildError('AGENT_MISSING', `${agentDir}/kata-agent.mjs not found: build the agent first (npx nx run agent:build)`);
  if (!existsSync(crunBinary)) throw new ImageBuildError('TOOL_MISSING', `${crunBinary} not found: apt-get install crun`);
  if (!existsSync(ipBinary)) throw new ImageBuildError('TOOL_MISSING', `${ipBinary} not found: apt-get install iproute2`);

  progress.step('resolving the kernel package');
  const kernelPackage = await resolveKernelPackage(options.kernelPackage, progress);

  progress.step('hashing inputs');
  const agentFiles = listFiles(agentDir);
  const elves = [nodeBinary, crunBinary, ipBinary, ...agentFiles.map((f) => join(agentDir, f)).filter(isElf)];
  const libraries = [...new Set((await Promise.all(elves.map(sharedLibraries))).flat())].sort();
  const initDigest = bufferDigest(readFileSync(initSource));
  const inputs = {
    recipe: RECIPE_VERSION,
    kernel: kernelPackage,
    compression,
    modules,
    rootModules,
    init: initDigest,
    node: await fileDigest(nodeBinary),
    crun: await fileDigest(crunBinary),
    ip: await fileDigest(ipBinary),
    agent: await Promise.all(agentFiles.map(async (f) => [f, hostMode(join(agentDir, f)), await fileDigest(join(agentDir, f))])),
    libraries: await Promise.all(libraries.map(async (l) => [l, await fileDigest(l)])),
  };
  const inputDigest = bufferDigest(JSON.stringify(inputs));

  const paths = {
    vmlinuz: join(outDir, VMLINUZ_FILE),
    vmlinux: join(outDir, VMLINUX_FILE),
    initrd: join(outDir, INITRD_FILE),
    image: join(outDir, IMAGE_FILE),
    imageInitrd: join(outDir, IMAGE_INITRD_FILE),
  };
  const previous = readManifest(join(outDir, MANIFEST_FILE));
  if (!options.force && previous?.inputDigest === inputDigest && (await artefactsIntact(outDir, previous))) {
    progress.step(`up to date (${outDir})`);
    return { outDir, manifest: previous, cached: true, ...paths };
  }

  mkdirSync(outDir, { recursive: true });
  mkdirSync(cacheDir, { recursive: true });
  requireFreeSpace(cacheDir, existsSync(join(cacheDir, `${kernelPackage.name}_${kernelPackage.version}`)) ? 0.5 : 1.5);

  const kernel = await fetchKernel(kernelPackage, cacheDir, progress);
  progress.step('ordering kernel modules (modules.dep)');
  const builtin = readFileSync(join(kernel.modulesDir, 'modules.builtin'), 'utf8').split('\n').filter(Boolean);
  const modulesDep = readFileSync(join(kernel.modulesDir, 'modules.dep'), 'utf8');
  const order = moduleLoadOrder(modules, modulesDep, builtin);
  const imageOrder = moduleLoadOrder([...modules, ...rootModules], modulesDep, builtin);

  progress.step('compiling kata-init (static)');
  const init = await buildInit(initSource, initDigest, cacheDir);
  progress.step('stripping node');
  const node = await strippedNode(nodeBinary, inputs.node, cacheDir);

  const base = baseEntries(init);
  const payload: GuestEntry[] = [
    ...hostFileEntries(libraries),
    { type: 'file', path: GUEST_NODE, mode: 0o755, data: readFileSync(node) },
    { type: 'file', path: GUEST_CRUN, mode: 0o755, data: readFileSync(crunBinary) },
    { type: 'file', path: GUEST_IP, mode: 0o755, data: readFileSync(ipBinary) },
    ...agentFiles.map((f): GuestEntry => ({ type: 'file', path: `${GUEST_AGENT_DIR}/${f}`, mode: hostMode(join(agentDir, f)), data: readFileSync(join(agentDir, f)) })),
  ];
  // The whole guest in one initrd (unpacked into each guest's RAM), and Kata's `image` boot: a
  // small initrd (PID 1 and the modules that mount the root) with the rest in a shared DAX image.
  const entries = [...base, ...moduleEntries(kernel.modulesDir, kernel.release, order), ...payload];
  const imageInitrdEntries = [...base, ...moduleEntries(kernel.modulesDir, kernel.release, imageOrder)];

  progress.step(`writing ${INITRD_FILE} (cpio, ${compression}, ${entries.length} entries)`);
  const { uncompressedSize } = await writeCpio(`${paths.initrd}.tmp`, entries, compression);
  renameSync(`${paths.initrd}.tmp`, paths.initrd);
  progress.step(`writing ${IMAGE_INITRD_FILE} (cpio, ${compression}, ${imageInitrdEntries.length} entries)`);
  await writeCpio(`${paths.imageInitrd}.tmp`, imageInitrdEntries, compression);
  renameSync(`${paths.imageInitrd}.tmp`, paths.imageInitrd);
  progress.step(`writing ${IMAGE_FILE} (ext4 for DAX, ${base.length + payload.length} entries)`);
  await writeRootImage(`${paths.image}.tmp`, [...base, ...payload], { stagingDir: join(cacheDir, 'root-staging'), uuid: digestUuid(inputDigest) });
  renameSync(`${paths.image}.tmp`, paths.image);

  progress.step(`writing ${VMLINUZ_FILE} and ${VMLINUX_FILE}`);
  copyFileSync(kernel.vmlinuz, paths.vmlinuz);
  writeFileSync(paths.vmlinux, extractVmlinux(readFileSync(kernel.vmlinuz)));

  const manifest: GuestImageManifest = {
    kernel: {
      package: kernel.name,
      version: kernel.version,
      release: kernel.release,
      vmlinuz: await artefact(paths.vmlinuz),
      vmlinux: await artefact(paths.vmlinux),
    },
    initrd: { ...(await artefact(paths.initrd)), compression, uncompressedSize, entries: entries.length },
    image: await artefact(paths.image),
    imageInitrd: { ...(await artefact(paths.imageInitrd)), entries: imageInitrdEntries.length },
    imageModules: imageOrder,
    node: { version: execFileSync(nodeBinary, ['--version'], { encoding: 'utf8' }).trim(), source: nodeBinary },
    agent: { dir: agentDir, files: agentFiles },
    modules: order,
    inputDigest,
  };
  writeFileSync(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  const mib = (a: ArtefactInfo): string => (a.size / 1048576).toFixed(1);
  progress.step(`done: ${outDir} (initrd ${mib(manifest.initrd)} MiB; image ${mib(manifest.image)} MiB + its initrd ${mib(manifest.imageInitrd)} MiB; kernel ${kernel.release})`);
  return { outDir, manifest, cached: false, ...paths };
}

/** The filesystem UUID (and hash seed) of the root image: from the inputs, so rebuilds are byte-identical. */
function digestUuid(digest: string): string {
  const h = digest.replace(/^sha256:/, '');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function readModuleList(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

export function readManifest(path: string): GuestImageManifest | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as GuestImageManifest;
  } catch {
    return undefined;
  }
}

async function artefact(path: string): Promise<ArtefactInfo> {
  return { file: path.slice(path.lastIndexOf('/') + 1), size: statSync(path).size, sha256: await fileDigest(path) };
}

async function artefactsIntact(outDir: string, manifest: GuestImageManifest): Promise<boolean> {
  for (const a of [manifest.kernel.vmlinuz, manifest.kernel.vmlinux, manifest.initrd, manifest.image, manifest.imageInitrd]) {
    if (!a) return false; // a manifest from before the image existed
    const path = join(outDir, a.file);
    if (!existsSync(path) || statSync(path).size !== a.size || (await fileDigest(path)) !== a.sha256) return false;
  }
  return true;
}

function requireFreeSpace(dir: string, gib: number): void {
  const st = statfsSync(dir);
  const free = (st.bavail * st.bsize) / 2 ** 30;
  if (free < gib) throw new ImageBuildError('NO_SPACE', `${dir} has ${free.toFixed(2)} GiB free; the image build needs ${gib} GiB`);
}

/** Node without its debug info and symbol table (99 MB -> 86 MB): less to load and unpack at boot. */
async function strippedNode(nodeBinary: string, digest: string, cacheDir: string): Promise<string> {
  const out = join(cacheDir, `node-${digest.slice(0, 16)}`);
  if (!existsSync(out)) {
    await runCommand('strip', ['--strip-all', '-o', `${out}.tmp`, nodeBinary]);
    renameSync(`${out}.tmp`, out);
  }
  return out;
}
