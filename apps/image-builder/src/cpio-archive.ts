import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { normalizeEntries, type GuestEntry } from './guest-entry';
import { ImageBuildError } from './image-build-error';

export type Compression = 'none' | 'gzip' | 'lz4';
export const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'lz4'];

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function record(ino: number, mode: number, nlink: number, name: string, data: Buffer, rdev: [number, number] = [0, 0]): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`);
  // newc: magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
  // rdevmajor, rdevminor, namesize, check. Owners root, mtime 0: same input, same bytes.
  const header = ['070701', hex8(ino), hex8(mode), hex8(0), hex8(0), hex8(nlink), hex8(0), hex8(data.length), hex8(0), hex8(0), hex8(rdev[0]), hex8(rdev[1]), hex8(nameBytes.length), hex8(0)].join('');
  const head = Buffer.concat([Buffer.from(header, 'latin1'), nameBytes]);
  return [head, pad4(head.length), data, pad4(data.length)];
}

/** The newc cpio records for the entries (sorted, parents first), ending with the trailer. */
export function* cpioRecords(entries: readonly GuestEntry[]): Generator<Buffer> {
  let ino = 1;
  for (const entry of normalizeEntries(entries)) {
    let parts: Buffer[];
    switch (entry.type) {
      case 'dir':
        parts = record(ino, S_IFDIR | entry.mode, 2, entry.path, Buffer.alloc(0));
        break;
      case 'file':
        parts = record(ino, S_IFREG | entry.mode, 1, entry.path, entry.data);
        break;
      case 'symlink':
        parts = record(ino, S_IFLNK | 0o777, 1, entry.path, Buffer.from(entry.target));
        break;
      case 'char':
        parts = record(ino, S_IFCHR | entry.mode, 1, entry.path, Buffer.alloc(0), [entry.major, entry.minor]);
        break;
    }
    ino++;
    yield* parts.filter((p) => p.length > 0);
  }
  yield* record(0, 0, 1, 'TRAILER!!!', Buffer.alloc(0)).filter((p) => p.length > 0);
}

/**
 * Writes the entries as a newc cpio archive (the kernel's initramfs format) to `path`, compressed
 * as asked. lz4 must be the legacy frame format (`lz4 -l`): the only one the kernel unpacks.
 */
export async function writeCpio(path: string, entries: readonly GuestEntry[], compression: Compression): Promise<{ uncompressedSize: number }> {
  let uncompressedSize = 0;
  const counted = function* (): Generator<Buffer> {
    for (const part of cpioRecords(entries)) {
      uncompressedSize += part.length;
      yield part;
    }
  };
  const source = Readable.from(counted(), { objectMode: false });
  const out = createWriteStream(path);
  switch (compression) {
    case 'none':
      await pipeline(source, out);
      break;
    case 'gzip':
      await pipeline(source, createGzip({ level: 9 }), out);
      break;
    case 'lz4':
      await pipeThroughTool('lz4', ['-l', '-9', '-q', '-c', '-'], source, out);
      break;
  }
  return { uncompressedSize };
}

async function pipeThroughTool(file: string, args: string[], source: Readable, out: Writable): Promise<void> {
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (cause: NodeJS.ErrnoException) =>
      reject(new ImageBuildError(cause.code === 'ENOENT' ? 'TOOL_MISSING' : 'COMMAND_FAILED', `${file}: ${cause.message}`, { cause })),
    );
    child.on('close', (code) => (code === 0 ? resolve() : reject(new ImageBuildError('COMMAND_FAILED', `${file} exited with ${code}`))));
  });
  await Promise.all([pipeline(source, child.stdin), pipeline(child.stdout, out), exited]);
}
