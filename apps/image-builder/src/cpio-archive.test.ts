import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Compression, writeCpio } from './cpio-archive';
import type { GuestEntry } from './guest-entry';

const entries: GuestEntry[] = [
  { type: 'file', path: 'usr/bin/tool', mode: 0o755, data: Buffer.from('#!tool\n') },
  { type: 'symlink', path: 'sbin/init', target: '/init' },
  { type: 'file', path: 'init', mode: 0o755, data: Buffer.from('odd-length') },
  { type: 'dir', path: 'tmp', mode: 0o1777 },
  { type: 'char', path: 'dev/console', mode: 0o600, major: 5, minor: 1 },
];

describe('writeCpio', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each<[Compression, string]>([
    ['none', 'cat'],
    ['gzip', 'zcat'],
    ['lz4', 'lz4cat'],
  ])('writes a newc archive that cpio unpacks (%s)', async (compression, cat) => {
    dir = mkdtempSync(join(tmpdir(), 'cpio-'));
    const archive = join(dir, 'initrd');
    await writeCpio(archive, entries, compression);
    const listing = execFileSync('sh', ['-c', `${cat} ${archive} | cpio -t --quiet`], { encoding: 'utf8' }).trim().split('\n');
    // Sorted, parents first, parents added.
    expect(listing).toEqual(['dev', 'dev/console', 'init', 'sbin', 'sbin/init', 'tmp', 'usr', 'usr/bin', 'usr/bin/tool']);
    const root = join(dir, 'root');
    execFileSync('sh', ['-c', `mkdir ${root} && cd ${root} && ${cat} ${archive} | cpio -i --quiet --no-absolute-filenames 2>/dev/null; true`]);
    expect(readFileSync(join(root, 'usr/bin/tool'), 'utf8')).toBe('#!tool\n');
    expect(statSync(join(root, 'usr/bin/tool')).mode & 0o7777).toBe(0o755);
    expect(readFileSync(join(root, 'init'), 'utf8')).toBe('odd-length');
    expect(readlinkSync(join(root, 'sbin/init'))).toBe('/init');
    expect(statSync(join(root, 'tmp')).mode & 0o7777).toBe(0o1777);
  });

  it('is reproducible: same entries, same bytes, whatever the input order', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cpio-'));
    const a = await writeCpio(join(dir, 'a'), entries, 'gzip').then(() => readFileSync(join(dir, 'a')));
    const b = await writeCpio(join(dir, 'b'), [...entries].reverse(), 'gzip').then(() => readFileSync(join(dir, 'b')));
    expect(a.equals(b)).toBe(true);
  });

  it('reports the uncompressed size, a multiple of 4 ending with the trailer', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cpio-'));
    const { uncompressedSize } = await writeCpio(join(dir, 'a'), entries, 'none');
    const bytes = readFileSync(join(dir, 'a'));
    expect(uncompressedSize).toBe(bytes.length);
    expect(bytes.length % 4).toBe(0);
    expect(bytes.includes(Buffer.from('TRAILER!!!'))).toBe(true);
  });
});
