import { chmodSync, closeSync, lutimesSync, mkdirSync, openSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeEntries, type GuestEntry } from './guest-entry';
import { pfnInfoBlock, PFN_INFO_OFFSET } from './pfn-info-block';
import { runCommand } from './run-command';

/** DAX maps 2 MiB pages: the filesystem starts 2 MiB in, and the image is a multiple of 2 MiB (QEMU's nvdimm needs that too). */
export const ROOT_IMAGE_ALIGNMENT = 2 * 1024 * 1024;

export interface RootImageOptions {
  /** Scratch space for the tree mkfs copies from; emptied first and removed after. */
  stagingDir: string;
  /** The filesystem's UUID and directory hash seed: fixed, so a rebuild is byte-identical. */
  uuid: string;
}

/**
 * Writes the guest's root as Kata's `image`: [2 MiB header with the pfn info block][read-only
 * ext4 with 4 KiB blocks]. The guest sees it as an nvdimm and mounts `/dev/pmem0` with `-o dax`,
 * so its files are the host's page cache of this file, one copy for every VM. Device nodes are
 * left out: the guest mounts devtmpfs on /dev.
 */
export async function writeRootImage(path: string, entries: readonly GuestEntry[], options: RootImageOptions): Promise<{ size: number }> {
  const tree = normalizeEntries(entries).filter((e) => e.type !== 'char');
  const dataBytes = stage(options.stagingDir, tree);
  // Room for metadata (inode tables, directories, extent blocks) and the tail of every file's last block.
  const fsSize = roundUp(dataBytes * 1.1 + tree.length * 4096 + 16 * 1024 * 1024, ROOT_IMAGE_ALIGNMENT);
  const size = ROOT_IMAGE_ALIGNMENT + fsSize;
  writeFileSync(path, '', { mode: 0o644 });
  truncateSync(path, size);
  try {
    await runCommand(
      'mkfs.ext4',
      [
        '-q', '-F', '-b', '4096', '-m', '0', '-L', 'kata-root', '-U', options.uuid,
        '-N', String(tree.length + 256),
        // No journal: nothing ever writes to it (the guest mounts it read-only).
        '-O', '^has_journal',
        '-E', `offset=${ROOT_IMAGE_ALIGNMENT},root_owner=0:0,hash_seed=${options.uuid},lazy_itable_init=0,nodiscard`,
        '-d', options.stagingDir,
        path, `${fsSize / 1024}k`,
      ],
      { env: fixedTime },
    );
    // mkfs copies each file's ctime, which no one can set on the staged tree: zero them here.
    const fs = `${path}?offset=${ROOT_IMAGE_ALIGNMENT}`;
    const commands = ['/', ...tree.map((e) => `/${e.path}`)].map((p) => `set_inode_field "${p}" ctime 0\n`).join('');
    await runCommand('debugfs', ['-w', '-f', '-', fs], { input: commands, env: fixedTime });
  } finally {
    rmSync(options.stagingDir, { recursive: true, force: true });
  }
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, pfnInfoBlock(ROOT_IMAGE_ALIGNMENT, ROOT_IMAGE_ALIGNMENT), 0, 4096, PFN_INFO_OFFSET);
  } finally {
    closeSync(fd);
  }
  return { size };
}

/** Superblock and lost+found times: fixed, like every staged inode's (stage()), for byte-identical rebuilds. */
const fixedTime = { ...process.env, E2FSPROGS_FAKE_TIME: '1' };

/** The tree on disk, owned by root, mtimes 0; returns the bytes of file data. */
function stage(dir: string, tree: readonly GuestEntry[]): number {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  let bytes = 0;
  for (const entry of tree) {
    const target = join(dir, entry.path);
    if (entry.type === 'dir') mkdirSync(target, { mode: entry.mode });
    else if (entry.type === 'file') {
      writeFileSync(target, entry.data, { mode: entry.mode });
      bytes += entry.data.length;
    } else if (entry.type === 'symlink') symlinkSync(entry.target, target);
    if (entry.type === 'symlink') lutimesSync(target, 0, 0);
    else chmodSync(target, entry.mode); // mkdir and writeFile modes pass through the umask
  }
  // Directories last: writing their children changed their mtimes.
  for (const entry of tree) if (entry.type !== 'symlink') utimesSync(join(dir, entry.path), 0, 0);
  utimesSync(dir, 0, 0);
  return bytes;
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
