// The image the kata-deploy DaemonSet runs, as an OCI image layout tar that `ctr images import`
// accepts (no registry, no docker): busybox, Node and the libraries it links to, the installer at
// /usr/bin/kata-deploy, and the artifacts at /opt/kata-artifacts/opt/kata (tools/install.sh
// --destdir, with Node bundled so the node needs none). Reproducible: the same inputs (bundles,
// guest image, node, busybox) give the same bytes. Run by tools/build-deploy-image.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { busyboxRootfs, REPO_ROOT, writeOciImageArchive } from '@kata-ts/testing';
import { DEFAULTS, IMAGE, IMAGE_ENTRYPOINT } from '../options';

/** The shared libraries `ldd` names for an executable, the loader included. */
function sharedLibraries(path: string): string[] {
  const out = execFileSync('ldd', [path], { encoding: 'utf8' });
  return [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
}

/** Copies `from` (followed through symlinks: the content is what counts) to `to` under `rootfs`. */
function copyIn(rootfs: string, from: string, to = from, mode = 0o755): void {
  const dest = join(rootfs, to);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(realpathSync(from), dest);
  chmodSync(dest, mode);
}

export function buildDeployImage(out: string): void {
  const work = mkdtempSync(join(tmpdir(), 'kata-deploy-image-'));
  try {
    const rootfs = join(work, 'rootfs');
    busyboxRootfs(rootfs);
    const node = execFileSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).trim();
    copyIn(rootfs, node, '/usr/bin/node');
    for (const lib of sharedLibraries(node)) copyIn(rootfs, lib);
    copyIn(rootfs, join(REPO_ROOT, 'apps/kata-deploy/dist/kata-deploy.mjs'), '/usr/lib/kata-deploy/kata-deploy.mjs', 0o644);
    writeFileSync(join(rootfs, IMAGE_ENTRYPOINT), '#!/bin/sh\nexec /usr/bin/node /usr/lib/kata-deploy/kata-deploy.mjs "$@"\n', { mode: 0o755 });
    execFileSync(join(REPO_ROOT, 'tools/install.sh'), ['--prefix', DEFAULTS.artifacts, '--destdir', rootfs, '--bundle-node'], { stdio: ['ignore', 'ignore', 'inherit'] });
    mkdirSync(dirname(out), { recursive: true });
    writeOciImageArchive({
      rootfs,
      out,
      name: IMAGE,
      config: { Entrypoint: [IMAGE_ENTRYPOINT], Cmd: ['install'], Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], WorkingDir: '/' },
      createdBy: 'kata-ts tools/build-deploy-image',
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const out = process.argv[2] ?? join(REPO_ROOT, 'build/kata-deploy-image.tar');
buildDeployImage(out);
process.stderr.write(`${IMAGE}: ${out}\n`);
