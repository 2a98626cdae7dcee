import { join, resolve } from 'node:path';

/** The checkout this library lives in: tools/, the apps' dist/ and build/guest/ are found from it. */
export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** What tools/build-guest-image makes and tools/install.sh installs: the guest kernel and initrd. */
export const GUEST_IMAGE = {
  /** Booted through PVH, as the installed configuration names it. */
  kernel: join(REPO_ROOT, 'build/guest/vmlinux.container'),
  initrd: join(REPO_ROOT, 'build/guest/kata-containers-initrd.img'),
};
