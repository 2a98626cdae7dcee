import type { Compression } from './cpio-archive';

export interface ArtefactInfo {
  file: string;
  size: number;
  sha256: string;
}

/** build/guest/manifest.json: what was built from what. No timestamps: rebuilds are byte-identical. */
export interface GuestImageManifest {
  kernel: {
    package: string;
    version: string;
    release: string;
    /** The Debian bzImage, unchanged. */
    vmlinuz: ArtefactInfo;
    /** The ELF inside it: QEMU boots it through PVH without decompressing (faster). */
    vmlinux: ArtefactInfo;
  };
  /** The whole guest (PID 1, modules, Node, agent, crun, ip, libraries) in one initrd. */
  initrd: ArtefactInfo & { compression: Compression; uncompressedSize: number; entries: number };
  /** Kata's `image`: the guest's root as read-only ext4 behind a pfn info block, for a DAX nvdimm. */
  image: ArtefactInfo;
  /** The initrd an image boot needs: PID 1 and the modules that mount the image (and the rest). */
  imageInitrd: ArtefactInfo & { entries: number };
  imageModules: string[];
  node: { version: string; source: string };
  agent: { dir: string; files: string[] };
  modules: string[];
  /** sha256 over every input: equal digests mean the artefacts are up to date. */
  inputDigest: string;
}

export const MANIFEST_FILE = 'manifest.json';
export const VMLINUZ_FILE = 'vmlinuz.container';
export const VMLINUX_FILE = 'vmlinux.container';
export const INITRD_FILE = 'kata-containers-initrd.img';
export const IMAGE_FILE = 'kata-containers.img';
export const IMAGE_INITRD_FILE = 'kata-containers-image-initrd.img';
