import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GUEST_SHARED_DIR } from '@kata-ts/guest-contract';
import { unmountContainerRootfs } from './container-rootfs';
import { mountsUnder, unmountAll } from './mount-table';
import { shareContainerMounts } from './share-mounts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shim-share-'));
});
afterEach(async () => {
  await unmountAll(dir);
  rmSync(dir, { recursive: true, force: true });
});

describe('shareContainerMounts (real bind mounts)', () => {
  it('binds host files and dirs into the share, read-only when asked, and points the spec at the guest paths', async () => {
    const shared = join(dir, 'shared');
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 pod\n');
    mkdirSync(join(dir, 'volume'));
    writeFileSync(join(dir, 'volume', 'data'), 'v');
    const out = await shareContainerMounts(shared, 'c1', [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/etc/hosts', type: 'bind', source: join(dir, 'hosts'), options: ['rbind', 'ro'] },
      { destination: '/data', type: 'bind', source: join(dir, 'volume'), options: ['rbind', 'rw'] },
      { destination: '/dev/shm', type: 'bind', source: join(dir, 'shm'), options: ['rbind'] },
    ]);
    expect(out[0]).toEqual({ destination: '/proc', type: 'proc', source: 'proc' });
    expect(out[1]!.source).toBe(`${GUEST_SHARED_DIR}/c1/mounts/1-hosts`);
    expect(out[2]!.source).toBe(`${GUEST_SHARED_DIR}/c1/mounts/2-volume`);
    expect(out[3]).toMatchObject({ destination: '/dev/shm', type: 'tmpfs' });
    expect(readFileSync(join(shared, 'c1/mounts/1-hosts'), 'utf8')).toBe('127.0.0.1 pod\n');
    expect(readFileSync(join(shared, 'c1/mounts/2-volume/data'), 'utf8')).toBe('v');
    expect(() => writeFileSync(join(shared, 'c1/mounts/1-hosts'), 'x')).toThrow(/EROFS/);
    writeFileSync(join(shared, 'c1/mounts/2-volume/data'), 'written through');
    expect(readFileSync(join(dir, 'volume', 'data'), 'utf8')).toBe('written through');

    await unmountContainerRootfs('', shared, 'c1');
    expect(mountsUnder(dir)).toEqual([]);
    expect(existsSync(join(shared, 'c1'))).toBe(false);
    expect(readFileSync(join(dir, 'volume', 'data'), 'utf8')).toBe('written through');
  });

  it('names a missing source', async () => {
    await expect(shareContainerMounts(join(dir, 'shared'), 'c1', [{ destination: '/x', type: 'bind', source: join(dir, 'nope') }])).rejects.toThrow(
      /mounts\[0\] \(\/x\): source .*nope does not exist on the host/,
    );
  });
});
