import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { guestChannels } from './guest-channels';

let sys: string;
beforeEach(() => (sys = mkdtempSync(join(tmpdir(), 'agent-sysfs-'))));
afterEach(() => rmSync(sys, { recursive: true, force: true }));

const virtioDevice = (name: string, id: string) => {
  mkdirSync(join(sys, 'bus/virtio/devices', name), { recursive: true });
  writeFileSync(join(sys, 'bus/virtio/devices', name, 'device'), `${id}\n`);
};
const port = (dev: string, name: string) => {
  mkdirSync(join(sys, 'class/virtio-ports', dev), { recursive: true });
  writeFileSync(join(sys, 'class/virtio-ports', dev, 'name'), `${name}\n`);
};

describe('guestChannels', () => {
  it('listens on the serial channel only when the guest has no vsock device (a console and 9p are other devices)', () => {
    virtioDevice('virtio0', '0x0003');
    virtioDevice('virtio1', '0x0009');
    port('vport0p1', 'agent.channel.0');
    expect(guestChannels(sys)).toEqual(['serial://agent.channel.0:1024']);
  });

  it('listens on vsock when a vsock device is there', () => {
    virtioDevice('virtio2', '0x0013');
    expect(guestChannels(sys)).toEqual(['vsock://-1:1024']);
  });

  it('finds nothing in an empty sysfs', () => {
    expect(guestChannels(sys)).toEqual([]);
  });
});
