import type { GuestStorage } from './sandbox-request';

/** The 9p mount_tag of the sandbox's shared directory (Kata's `kataShared`). */
export const SHARED_DIR_TAG = 'kataShared';

/** Where the guest mounts the share: a container's rootfs is `<GUEST_SHARED_DIR>/<container-id>/rootfs`. */
export const GUEST_SHARED_DIR = '/run/kata-containers/shared/containers';

/** The storage the host sends with CreateSandbox so the agent mounts the share. */
export function sharedDirStorage(): GuestStorage {
  return {
    driver: '9p',
    source: SHARED_DIR_TAG,
    fstype: '9p',
    options: ['trans=virtio', 'version=9p2000.L', 'cache=mmap', 'msize=262144'],
    mountPoint: GUEST_SHARED_DIR,
  };
}
