import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { NEW_SUFFIX, writeFileAtomic } from './atomic-write';

export interface SyncResult {
  /** Relative paths written (new or changed). */
  written: string[];
  /** Relative paths whose prefix was rewritten. */
  relocated: string[];
  /** Relative paths removed from the destination (left by an older install or a crash). */
  removed: string[];
  unchanged: number;
}

/** Text small enough to be a wrapper or a config: binaries (kernel, initrd, node) hold NUL bytes. */
const isText = (bytes: Buffer): boolean => bytes.length <= 1 << 20 && !bytes.includes(0);

/**
 * Makes `dest` hold exactly the tree `src`, each file written new and renamed into place (a
 * running shim or QEMU keeps its old inode: no "Text file busy", Kata #5868), files with the same
 * bytes and mode left alone (Kata's `cp -u`). `src` is a `tools/install.sh --prefix <src>` output,
 * so its wrappers, configuration and drop-in name `src`: text files get `relocate.from` replaced
 * by `relocate.to`, the node path `dest` is reached by.
 */
export function syncArtifacts(src: string, dest: string, relocate: { from: string; to: string }): SyncResult {
  const result: SyncResult = { written: [], relocated: [], removed: [], unchanged: 0 };
  const wanted = new Set<string>();

  const copy = (rel: string): void => {
    const from = join(src, rel);
    const to = join(dest, rel);
    const st = lstatSync(from);
    wanted.add(rel);
    if (st.isDirectory()) {
      if (!lstatSync(to, { throwIfNoEntry: false })?.isDirectory()) {
        rmSync(to, { force: true });
        mkdirSync(to, { mode: st.mode & 0o7777 });
      }
      chmodSync(to, st.mode & 0o7777);
      for (const name of readdirSync(from).sort()) copy(join(rel, name));
    } else if (st.isSymbolicLink()) {
      const target = readlinkSync(from).replaceAll(relocate.from, relocate.to);
      const old = lstatSync(to, { throwIfNoEntry: false });
      if (old?.isSymbolicLink() && readlinkSync(to) === target) return void result.unchanged++;
      rmSync(to + NEW_SUFFIX, { force: true });
      symlinkSync(target, to + NEW_SUFFIX);
      if (old?.isDirectory()) rmSync(to, { recursive: true });
      renameSync(to + NEW_SUFFIX, to);
      result.written.push(rel);
    } else if (st.isFile()) {
      let bytes = readFileSync(from);
      if (relocate.from !== relocate.to && isText(bytes) && bytes.includes(relocate.from)) {
        bytes = Buffer.from(bytes.toString('utf8').replaceAll(relocate.from, relocate.to));
        result.relocated.push(rel);
      }
      const mode = st.mode & 0o7777;
      const old = lstatSync(to, { throwIfNoEntry: false });
      if (old?.isFile() && (old.mode & 0o7777) === mode && old.size === bytes.length && readFileSync(to).equals(bytes)) return void result.unchanged++;
      if (old?.isDirectory()) rmSync(to, { recursive: true });
      writeFileAtomic(to, bytes, mode);
      chmodSync(to, mode); // the umask may have narrowed open()'s mode
      result.written.push(rel);
    } else {
      throw new Error(`${from}: not a file, directory or symlink`);
    }
  };

  mkdirSync(dest, { recursive: true });
  copy('');
  removeUnwanted(dest, '', wanted, result.removed);
  return result;
}

function removeUnwanted(dest: string, rel: string, wanted: Set<string>, removed: string[]): void {
  for (const name of readdirSync(join(dest, rel)).sort()) {
    const child = join(rel, name);
    const path = join(dest, child);
    if (!wanted.has(child)) {
      rmSync(path, { recursive: true, force: true });
      removed.push(child);
    } else if (lstatSync(path).isDirectory()) {
      removeUnwanted(dest, child, wanted, removed);
    }
  }
}

/** The configuration inside an install (the drop-in's ConfigPath). */
export const CONFIGURATION = 'share/defaults/kata-containers/configuration-qemu.toml';

/** Whether `dir` holds a tree install.sh wrote (its shim wrapper), as a sanity check of --artifacts. */
export function looksLikeArtifacts(dir: string): boolean {
  return existsSync(join(dir, 'bin/containerd-shim-kata-v2')) && existsSync(join(dir, CONFIGURATION));
}
