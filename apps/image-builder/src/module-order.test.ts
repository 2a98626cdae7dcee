import { describe, expect, it } from 'vitest';
import { moduleLoadOrder, moduleName } from './module-order';

const dep = [
  'kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko',
  'kernel/net/9p/9pnet.ko:',
  'kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko',
  'kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko',
  'kernel/fs/netfs/netfs.ko:',
  'kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio_ring.ko:',
  'kernel/drivers/char/virtio-console.ko.xz: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko',
].join('\n');

describe('moduleLoadOrder', () => {
  it('puts every dependency before its user, each file once', () => {
    const order = moduleLoadOrder(['9pnet_virtio', '9p', 'virtio_console'], dep);
    expect(order).toHaveLength(8);
    expect(new Set(order).size).toBe(8);
    for (const [a, b] of [
      ['kernel/drivers/virtio/virtio_ring.ko', 'kernel/drivers/virtio/virtio.ko'],
      ['kernel/net/9p/9pnet.ko', 'kernel/net/9p/9pnet_virtio.ko'],
      ['kernel/fs/netfs/netfs.ko', 'kernel/fs/fscache/fscache.ko'],
      ['kernel/fs/fscache/fscache.ko', 'kernel/fs/9p/9p.ko'],
      ['kernel/drivers/virtio/virtio.ko', 'kernel/drivers/char/virtio-console.ko.xz'],
    ]) {
      expect(order.indexOf(a!)).toBeLessThan(order.indexOf(b!));
    }
  });

  it('skips built-in modules and rejects unknown ones', () => {
    expect(moduleLoadOrder(['ext4'], dep, ['kernel/fs/ext4/ext4.ko'])).toEqual([]);
    expect(() => moduleLoadOrder(['nope'], dep)).toThrow(/nope/);
  });

  it('rejects a dependency cycle', () => {
    expect(() => moduleLoadOrder(['a'], 'a.ko: b.ko\nb.ko: a.ko\n')).toThrow(/cycle/);
  });

  it('names modules as modprobe does', () => {
    expect(moduleName('kernel/drivers/char/virtio-console.ko.xz')).toBe('virtio_console');
  });
});
