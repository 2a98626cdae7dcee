import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageBuildError } from './image-build-error';

interface Codec {
  name: string;
  magic: Buffer;
  decompress(data: Buffer): Buffer;
}

// Debian's x86 kernels are xz; gzip and zstd cover other builds. The payload inside a bzImage is
// followed by trailing bytes, which the tools tolerate (xz/zstd with --single-stream/-q).
const codecs: Codec[] = [
  { name: 'xz', magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), decompress: (d) => tool('xz', ['-dc', '--single-stream'], d) },
  { name: 'zstd', magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), decompress: (d) => tool('zstd', ['-dcq'], d) },
  { name: 'gzip', magic: Buffer.from([0x1f, 0x8b, 0x08]), decompress: (d) => tool('gzip', ['-dcq'], d) },
];

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

// The payload goes in as a file, not on stdin: with --single-stream the tool stops reading at the
// end of the stream, and writing the trailing bytes to its stdin would fail with EPIPE.
function tool(file: string, args: string[], input: Buffer): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'kata-vmlinux-'));
  try {
    const payload = join(dir, 'payload');
    writeFileSync(payload, input);
    const result = spawnSync(file, [...args, payload], { maxBuffer: 1 << 30 });
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new ImageBuildError('TOOL_MISSING', `${file} not found: install it to unpack the kernel`, { cause: result.error });
    }
    if (result.error) throw result.error;
    return result.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The uncompressed ELF kernel inside a bzImage. QEMU boots it directly through its PVH entry
 * point: no firmware decompression step, which costs seconds under TCG. Tries each compressed
 * payload candidate in file order until one decompresses to an ELF image.
 */
export function extractVmlinux(bzImage: Buffer): Buffer {
  const candidates = codecs
    .flatMap((codec) => offsetsOf(bzImage, codec.magic).map((offset) => ({ codec, offset })))
    .sort((a, b) => a.offset - b.offset);
  for (const { codec, offset } of candidates) {
    let out: Buffer;
    try {
      out = codec.decompress(bzImage.subarray(offset));
    } catch (err) {
      if (err instanceof ImageBuildError) throw err;
      continue;
    }
    if (out.length > ELF_MAGIC.length && out.subarray(0, 4).equals(ELF_MAGIC)) return out;
  }
  throw new ImageBuildError('BAD_KERNEL', 'no compressed ELF kernel found inside the bzImage');
}

function offsetsOf(haystack: Buffer, needle: Buffer): number[] {
  const found: number[] = [];
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) found.push(i);
  return found;
}
