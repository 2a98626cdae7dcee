import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Debian's busybox-static: the shell and tools of the images built here. */
export const BUSYBOX = '/bin/busybox';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** A root filesystem of busybox and its applets, with root and nobody. */
export function busyboxRootfs(rootfs: string, extra: { passwd?: string[]; group?: string[] } = {}): void {
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
  const lines = (l: string[]) => l.map((line) => `${line}\n`).join('');
  writeFileSync(join(rootfs, 'etc/passwd'), lines(['root:x:0:0:root:/root:/bin/sh', 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false', ...(extra.passwd ?? [])]));
  writeFileSync(join(rootfs, 'etc/group'), lines(['root:x:0:', 'nogroup:x:65534:', ...(extra.group ?? [])]));
}

export interface OciImageOptions {
  rootfs: string;
  /** The OCI image layout tar to write (`ctr images import` reads it). */
  out: string;
  /** The name containerd imports it under, e.g. docker.io/kata-ts/busybox:latest. */
  name: string;
  /** The image config's `config` (Env, Entrypoint, Cmd, WorkingDir). */
  config: Record<string, unknown>;
  createdBy: string;
}

/**
 * Writes `rootfs` as an OCI image layout tar: one gzip layer, config, manifest and an index
 * naming the image. Reproducible: the same rootfs gives the same bytes (sorted entries, mtime 0,
 * owner 0, gzip without a name or time).
 */
export function writeOciImageArchive({ rootfs, out, name, config, createdBy }: OciImageOptions): void {
  const layout = mkdtempSync(`${out}.layout-`);
  chmodSync(layout, 0o755); // the archive's root entry: as a plain mkdir makes it
  try {
    mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
    const blob = (data: Buffer | string): { digest: string; size: number } => {
      const hex = sha256(data);
      writeFileSync(join(layout, 'blobs/sha256', hex), data);
      return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
    };
    const layerTar = execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', rootfs, '-cf', '-', '.'], { maxBuffer: 1 << 30 });
    const layer = blob(execFileSync('gzip', ['-n', '-c'], { input: layerTar, maxBuffer: 1 << 30 }));
    const imageConfig = blob(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config,
        rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layerTar)}`] },
        history: [{ created_by: createdBy, created: '1970-01-01T00:00:00Z' }],
      }),
    );
    const manifest = blob(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...imageConfig },
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
            annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.slice(name.lastIndexOf(':') + 1) },
          },
        ],
      }),
    );
    execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', layout, '-cf', out, '.']);
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
}
