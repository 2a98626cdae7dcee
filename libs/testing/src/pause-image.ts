import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildBusyboxImage } from './busybox-image';

/** containerd 1.6.20's default `sandbox_image`, so the CRI plugin needs no extra config. */
export const PAUSE_IMAGE = 'registry.k8s.io/pause:3.6';

/**
 * The pause process: sleeps until SIGTERM/SIGINT, then exits 0. A shell as PID 1 ignores signals
 * it has no handler for, hence the trap; `wait` returns as soon as the trapped signal arrives.
 */
const PAUSE_SCRIPT = 'trap "exit 0" TERM INT; sleep 2147483647 & wait';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * An OCI image layout tar for the pod sandbox ("pause") image: the busybox image's layer under a
 * new config whose entrypoint is PAUSE_SCRIPT, named PAUSE_IMAGE. No registry is reachable here.
 * Cached beside the busybox tar, keyed by its content.
 */
export function buildPauseImage(): string {
  const busyboxTar = buildBusyboxImage();
  const out = join(dirname(busyboxTar), `pause-oci-${sha256(readFileSync(busyboxTar) + PAUSE_SCRIPT).slice(0, 16)}.tar`);
  if (existsSync(out)) return out;

  const work = mkdtempSync(join(dirname(busyboxTar), 'pause-'));
  try {
    execFileSync('tar', ['-xf', busyboxTar, '-C', work]);
    const blobPath = (digest: string) => join(work, 'blobs/sha256', digest.replace(/^sha256:/, ''));
    const writeBlob = (json: object) => {
      const data = JSON.stringify(json);
      const hex = sha256(data);
      writeFileSync(join(work, 'blobs/sha256', hex), data);
      return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
    };
    const index = JSON.parse(readFileSync(join(work, 'index.json'), 'utf8'));
    const entry = index.manifests[0];
    const manifest = JSON.parse(readFileSync(blobPath(entry.digest), 'utf8'));
    const config = JSON.parse(readFileSync(blobPath(manifest.config.digest), 'utf8'));
    config.config = { ...config.config, Entrypoint: ['/bin/sh', '-c', PAUSE_SCRIPT], Cmd: null };
    const newConfig = writeBlob(config);
    const newManifest = writeBlob({ ...manifest, config: { ...manifest.config, ...newConfig } });
    for (const old of [entry.digest, manifest.config.digest]) rmSync(blobPath(old));
    const annotations = { 'io.containerd.image.name': PAUSE_IMAGE, 'org.opencontainers.image.ref.name': '3.6' };
    writeFileSync(join(work, 'index.json'), JSON.stringify({ ...index, manifests: [{ ...entry, ...newManifest, annotations }] }));
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', work, '-cf', tmp, '.']);
    renameSync(tmp, out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
