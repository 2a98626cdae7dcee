import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { extractVmlinux } from './extract-vmlinux';

const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(4096, 0x41)]);
const setup = Buffer.alloc(2000, 0x90);
const trailer = Buffer.alloc(300, 0xcc);

describe('extractVmlinux', () => {
  it('finds an xz payload behind setup code and ignores trailing bytes', () => {
    const xz = execFileSync('xz', ['-c', '--check=crc32'], { input: elf });
    expect(extractVmlinux(Buffer.concat([setup, xz, trailer]))).toEqual(elf);
  });

  // Regression: with the payload on stdin, xz stopped reading at the end of its stream and the
  // unread trailer (a real bzImage has megabytes after it) failed the write with EPIPE.
  it('ignores megabytes of trailing bytes after an xz payload', () => {
    const xz = execFileSync('xz', ['-c', '--check=crc32'], { input: elf });
    expect(extractVmlinux(Buffer.concat([setup, xz, Buffer.alloc(8 << 20, 0xcc)]))).toEqual(elf);
  });

  it('finds a gzip payload', () => {
    expect(extractVmlinux(Buffer.concat([setup, gzipSync(elf), trailer]))).toEqual(elf);
  });

  it('rejects an image with no ELF payload', () => {
    expect(() => extractVmlinux(Buffer.concat([setup, gzipSync(Buffer.from('not an elf'))]))).toThrow(/no compressed ELF/);
  });
});
