import { existsSync, mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GUEST_SHARED_DIR } from '@kata-ts/guest-contract';
import type { types } from '@kata-ts/protocols';
import { InvalidArgumentError } from '@kata-ts/errors';
import { mount, mountsUnder, unmountAll } from './mount-table';

/**
 * A container's rootfs: containerd's mounts (overlay from the snapshotter, or a bind) on
 * `<bundle>/rootfs`; with none (`ctr run --rootfs DIR`, `ctr run --config`, a bundle made by
 * hand) the spec's root.path, relative to the bundle as runc reads it. That root is bound into the
 * sandbox's shared dir as `<shared>/<id>/rootfs`, which QEMU exports with virtio-9p. Returns the
 * guest path of the root.
 */
export async function mountContainerRootfs(bundle: string, shared: string, containerId: string, mounts: types.Mount[], rootPath = 'rootfs'): Promise<string> {
  const bundleRootfs = join(bundle, 'rootfs');
  const root = mounts.length ? bundleRootfs : resolve(bundle, rootPath);
  if (!mounts.length && !existsSync(root)) throw new InvalidArgumentError(`root.path: ${root} does not exist (and containerd gave no rootfs mounts)`);
  const sharedRootfs = join(shared, containerId, 'rootfs');
  mkdirSync(sharedRootfs, { recursive: true });
  try {
    for (const m of mounts) {
      if (!m.type) throw new InvalidArgumentError(`rootfs mount of ${m.source}: no type`);
      mkdirSync(bundleRootfs, { recursive: true });
      await mount(m.type, m.source, bundleRootfs, m.options);
    }
    await mount('bind', root, sharedRootfs, ['rbind']);
  } catch (err) {
    await unmountContainerRootfs(bundle, shared, containerId);
    throw err;
  }
  return `${GUEST_SHARED_DIR}/${containerId}/rootfs`;
}

/** Undoes mountContainerRootfs; safe to call more than once and after a partial mount. */
export async function unmountContainerRootfs(bundle: string, shared: string, containerId: string): Promise<void> {
  await unmountAll(join(shared, containerId));
  // Never rm -r through a mount: if an unmount failed, that would wipe the image's snapshot or a volume.
  if (mountsUnder(join(shared, containerId)).length === 0) rmSync(join(shared, containerId, 'mounts'), { recursive: true, force: true });
  for (const dir of [join(shared, containerId, 'rootfs'), join(shared, containerId)]) {
    try {
      rmdirSync(dir);
    } catch {
      // absent, or still a mount point (left for `delete` / the leak check to report)
    }
  }
  if (bundle) await unmountAll(join(bundle, 'rootfs'));
}
