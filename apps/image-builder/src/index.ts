export { buildGuestImage, readManifest, DEFAULT_COMPRESSION, type BuildGuestImageOptions, type BuildGuestImageResult } from './build-guest-image';
export { COMPRESSIONS, type Compression } from './cpio-archive';
export { ImageBuildError, type ImageBuildErrorCode } from './image-build-error';
export { INITRD_FILE, MANIFEST_FILE, VMLINUX_FILE, VMLINUZ_FILE, type GuestImageManifest } from './manifest';
export { findRepoRoot } from './repo-paths';
export { stderrProgress, silentProgress, type Progress } from './progress';
