import { join, resolve } from 'node:path';

/** The checkout this library lives in: tools/, the apps' dist/ and build/guest/ are found from it. */
export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

/** What tools/build-guest-image makes and tools/install.sh installs: the guest kernel, image and initrds. */
export const GUEST_IMAGE = {
  /** Booted through PVH, as the installed configuration names it. */
  kernel: join(REPO_ROOT, 'build/guest/vmlinux.container'),
  /** The whole guest in one initrd (no image). */
  initrd: join(REPO_ROOT, 'build/guest/kata-containers-initrd.img'),
  /** The installed boot: the root image on a DAX nvdimm, mounted by its small initrd. */
  image: join(REPO_ROOT, 'build/guest/kata-containers.img'),
  imageInitrd: join(REPO_ROOT, 'build/guest/kata-containers-image-initrd.img'),
};
