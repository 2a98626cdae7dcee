import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/** The temporary name a file is written under before it is renamed into place. */
export const NEW_SUFFIX = '.kata-deploy-new';

/**
 * Writes `path` as a new file renamed over the old one: a reader sees the old or the new
 * content, never half of it, and a running executable keeps its own inode (no ETXTBSY,
 * Kata #5868). A crash leaves at most `<path>.kata-deploy-new` behind, which the next write replaces.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): void {
  const tmp = path + NEW_SUFFIX;
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, 'wx', mode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
