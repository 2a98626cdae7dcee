import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ImageBuildError } from './image-build-error';
import type { Progress } from './progress';
import { runCommand } from './run-command';

/** Debian's meta package that always depends on the current standard-flavour kernel. */
export const KERNEL_META_PACKAGE = 'linux-image-amd64';

export interface KernelPackage {
  /** e.g. linux-image-6.1.0-56-amd64 */
  name: string;
  /** Debian package version, e.g. 6.1.192-2 */
  version: string;
  /** Kernel release (uname -r), e.g. 6.1.0-56-amd64 */
  release: string;
}

export interface UnpackedKernel extends KernelPackage {
  /** Folder the .deb was unpacked into (boot/, lib/modules/<release>/). */
  root: string;
  vmlinuz: string;
  modulesDir: string;
}

/**
 * Which kernel package to use: `name` when given, else whatever Debian's meta package depends on
 * now. Runs `apt-get update` once when the package lists do not know the package (fresh machine).
 */
export async function resolveKernelPackage(name: string | undefined, progress: Progress): Promise<KernelPackage> {
  try {
    return await lookUp(name);
  } catch (err) {
    if (!(err instanceof ImageBuildError) || err.code !== 'PACKAGE_NOT_FOUND') throw err;
    progress.step('apt-get update (the package lists do not know the kernel package)');
    await runCommand('apt-get', ['update', '-qq']);
    return lookUp(name);
  }
}

async function lookUp(requested: string | undefined): Promise<KernelPackage> {
  let name = requested;
  if (!name) {
    const deps = await aptCache(['depends', KERNEL_META_PACKAGE], KERNEL_META_PACKAGE);
    name = /Depends: (linux-image-[0-9][^\s]*-amd64)\b/.exec(deps)?.[1];
    if (!name) throw new ImageBuildError('PACKAGE_NOT_FOUND', `${KERNEL_META_PACKAGE} names no kernel package`);
  }
  const show = await aptCache(['show', '--no-all-versions', name], name);
  const version = /^Version: (\S+)$/m.exec(show)?.[1];
  if (!version) throw new ImageBuildError('PACKAGE_NOT_FOUND', `apt-cache knows no version of ${name}`);
  return { name, version, release: name.replace(/^linux-image-/, '') };
}

async function aptCache(args: string[], pkg: string): Promise<string> {
  try {
    const { stdout } = await runCommand('apt-cache', args);
    if (stdout.trim() === '') throw new Error('empty answer');
    return stdout;
  } catch (cause) {
    if (cause instanceof ImageBuildError && cause.code === 'TOOL_MISSING') throw cause;
    throw new ImageBuildError('PACKAGE_NOT_FOUND', `Debian package ${pkg} not found by apt-cache (is Debian 12's main archive in sources.list?)`, { cause });
  }
}

/** Downloads (apt-get download, never installs) and unpacks the kernel package into `cacheDir`. */
export async function fetchKernel(pkg: KernelPackage, cacheDir: string, progress: Progress): Promise<UnpackedKernel> {
  const root = join(cacheDir, `${pkg.name}_${pkg.version}`);
  const unpacked = {
    ...pkg,
    root,
    vmlinuz: join(root, 'boot', `vmlinuz-${pkg.release}`),
    modulesDir: join(root, 'lib', 'modules', pkg.release),
  };
  if (existsSync(unpacked.vmlinuz) && existsSync(join(unpacked.modulesDir, 'modules.dep'))) return unpacked;

  mkdirSync(cacheDir, { recursive: true });
  const debName = readdirSync(cacheDir).find((f) => f.startsWith(`${pkg.name}_${pkg.version.replace(/:/g, '%3a')}_`) && f.endsWith('.deb'));
  let deb = debName ? join(cacheDir, debName) : undefined;
  if (!deb) {
    progress.step(`apt-get download ${pkg.name}=${pkg.version}`);
    await runCommand('apt-get', ['download', '-q', `${pkg.name}=${pkg.version}`], { cwd: cacheDir });
    const got = readdirSync(cacheDir).find((f) => f.startsWith(`${pkg.name}_`) && f.endsWith('.deb'));
    if (!got) throw new ImageBuildError('PACKAGE_NOT_FOUND', `apt-get download ${pkg.name} left no .deb in ${cacheDir}`);
    deb = join(cacheDir, got);
  }
  progress.step(`unpacking ${deb}`);
  const partial = `${root}.partial`;
  rmSync(partial, { recursive: true, force: true });
  await runCommand('dpkg-deb', ['-x', deb, partial]);
  progress.step(`depmod -b (module dependency order for ${pkg.release})`);
  await runCommand('depmod', ['-b', partial, pkg.release]);
  rmSync(root, { recursive: true, force: true });
  renameSync(partial, root);
  if (!existsSync(unpacked.vmlinuz)) throw new ImageBuildError('BAD_KERNEL', `${pkg.name} has no ${unpacked.vmlinuz}`);
  return unpacked;
}
