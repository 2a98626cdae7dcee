import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { PrivateContainerd } from './start-containerd';

/** The name the image is imported under. */
export const BUSYBOX_IMAGE = 'docker.io/kata-ts/busybox:latest';
const BUSYBOX = '/bin/busybox';
const LAYOUT_VERSION = 'v1';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

function blob(layout: string, data: Buffer | string): { digest: string; size: number } {
  const hex = sha256(data);
  writeFileSync(join(layout, 'blobs/sha256', hex), data);
  return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
}

function makeRootfs(rootfs: string): void {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'root', 'run', 'var', 'tmp']) {
    mkdirSync(join(rootfs, d), { recursive: true });
  }
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    const path = join(rootfs, applet);
    if (applet === 'bin/busybox' || existsSync(path)) continue;
    mkdirSync(dirname(path), { recursive: true });
    symlinkSync(relative(dirname(path), join(rootfs, 'bin/busybox')), path);
  }
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
}

/**
 * Builds an OCI image layout tar from Debian's busybox-static (one gzip layer, config, manifest,
 * index naming the image), because no registry is reachable. Deterministic, and cached by the
 * busybox binary's hash under $KATA_TS_CACHE_DIR (default <tmpdir>/kata-ts-cache).
 */
export function buildBusyboxImage(): string {
  const cacheDir = process.env.KATA_TS_CACHE_DIR ?? join(tmpdir(), 'kata-ts-cache');
  const key = sha256(Buffer.concat([readFileSync(BUSYBOX), Buffer.from(LAYOUT_VERSION)])).slice(0, 16);
  const out = join(cacheDir, `busybox-oci-${key}.tar`);
  if (existsSync(out)) return out;

  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(cacheDir, 'build-'));
  try {
    const rootfs = join(work, 'rootfs');
    const layout = join(work, 'layout');
    mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
    makeRootfs(rootfs);
    const layerTar = execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', rootfs, '-cf', '-', '.'], {
      maxBuffer: 64 << 20,
    });
    const layerGz = execFileSync('gzip', ['-n', '-c'], { input: layerTar, maxBuffer: 64 << 20 });
    const layer = blob(layout, layerGz);
    const config = blob(
      layout,
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], WorkingDir: '/' },
        rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layerTar)}`] },
        history: [{ created_by: 'kata-ts buildBusyboxImage', created: '1970-01-01T00:00:00Z' }],
      }),
    );
    const manifest = blob(
      layout,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
      }),
    );
    writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(
      join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            ...manifest,
            platform: { architecture: 'amd64', os: 'linux' },
            annotations: { 'io.containerd.image.name': BUSYBOX_IMAGE, 'org.opencontainers.image.ref.name': 'latest' },
          },
        ],
      }),
    );
    const tmp = join(work, 'image.tar');
    execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', layout, '-cf', tmp, '.']);
    renameSync(tmp, out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Imports an image tar into `containerd` (its namespace) and checks that `name` arrived. */
export async function importImage(containerd: PrivateContainerd, tar: string, name: string): Promise<void> {
  const r = await containerd.ctr(['image', 'import', tar]);
  if (r.code !== 0) throw new Error(`ctr -n ${containerd.namespace} image import ${tar} failed (${r.code}): ${r.stderr}`);
  const list = await containerd.ctr(['image', 'ls', '-q']);
  if (!list.stdout.split('\n').includes(name)) {
    throw new Error(`image ${name} missing after import; have: ${list.stdout.trim()}`);
  }
}

/** Builds (or reuses) the image and imports it into `containerd`; returns the image name. */
export async function importBusyboxImage(containerd: PrivateContainerd): Promise<string> {
  await importImage(containerd, buildBusyboxImage(), BUSYBOX_IMAGE);
  return BUSYBOX_IMAGE;
}
