import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX, busyboxRootfs, writeOciImageArchive } from './oci-image-archive';
import type { CommandResult } from './run-command';

/** What importing an image needs of a containerd (a PrivateContainerd is one). */
export interface ImageTarget {
  namespace: string;
  ctr(args: string[]): Promise<CommandResult>;
}

/** The name the image is imported under. */
export const BUSYBOX_IMAGE = 'docker.io/kata-ts/busybox:latest';
const LAYOUT_VERSION = 'v1';

export interface BusyboxImageOptions {
  /**
   * The image config's `User` ("uid", "uid:gid" or names), which containerd turns into the spec's
   * process.user. containerd looks a name up in the image's /etc/passwd and /etc/group, and so a
   * number outside 0-2147483647 too.
   */
  user?: string;
  /** Lines added to the image's /etc/passwd and /etc/group (root and nobody are there). */
  passwd?: string[];
  group?: string[];
}

/** The name a busybox image with these options is imported under: `busybox:user-<user>[-<hash of the files>]`. */
export function busyboxImageName(options: BusyboxImageOptions = {}): string {
  const { user, ...files } = options;
  if (user === undefined && !Object.keys(files).length) return BUSYBOX_IMAGE;
  const filesTag = Object.keys(files).length ? `-${createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 8)}` : '';
  return BUSYBOX_IMAGE.replace(/:latest$/, `:user-${(user ?? '').replaceAll(':', '-')}${filesTag}`);
}

/**
 * Builds an OCI image layout tar from Debian's busybox-static (one gzip layer, config, manifest,
 * index naming the image), because no registry is reachable. Deterministic, and cached by the
 * busybox binary's hash and the options under $KATA_TS_CACHE_DIR (default <tmpdir>/kata-ts-cache).
 */
export function buildBusyboxImage(options: BusyboxImageOptions = {}): string {
  const cacheDir = process.env.KATA_TS_CACHE_DIR ?? join(tmpdir(), 'kata-ts-cache');
  const name = busyboxImageName(options);
  const key = createHash('sha256')
    .update(Buffer.concat([readFileSync(BUSYBOX), Buffer.from(LAYOUT_VERSION), Buffer.from(JSON.stringify(options))]))
    .digest('hex')
    .slice(0, 16);
  const out = join(cacheDir, `busybox-oci-${key}.tar`);
  if (existsSync(out)) return out;

  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, 'build-'));
  try {
    const rootfs = join(work, 'rootfs');
    busyboxRootfs(rootfs, options);
    const tmp = join(work, 'image.tar');
    const config = { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], WorkingDir: '/', ...(options.user === undefined ? {} : { User: options.user }) };
    writeOciImageArchive({ rootfs, out: tmp, name, config, createdBy: 'kata-ts buildBusyboxImage' });
    renameSync(tmp, out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Imports an image tar into `containerd` (its namespace) and checks that `name` arrived. */
export async function importImage(containerd: ImageTarget, tar: string, name: string): Promise<void> {
  const r = await containerd.ctr(['image', 'import', tar]);
  if (r.code !== 0) throw new Error(`ctr -n ${containerd.namespace} image import ${tar} failed (${r.code}): ${r.stderr}`);
  const list = await containerd.ctr(['image', 'ls', '-q']);
  if (!list.stdout.split('\n').includes(name)) {
    throw new Error(`image ${name} missing after import; have: ${list.stdout.trim()}`);
  }
}

/** Builds (or reuses) the image and imports it into `containerd`; returns the image name. */
export async function importBusyboxImage(containerd: ImageTarget, options: BusyboxImageOptions = {}): Promise<string> {
  const name = busyboxImageName(options);
  await importImage(containerd, buildBusyboxImage(options), name);
  return name;
}
