import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@kata-ts/logging';
import { DeadlineExceededError, InvalidArgumentError } from '@kata-ts/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestNetwork, loopbackIsUp } from './guest-network';

// The real ip(8) against a network namespace of the test's own, standing in for the guest: a
// veth end with a known MAC plays the virtio-net device the host hot-plugged.
const netns = `kts-agent-${randomBytes(3).toString('hex')}`;
const MAC = '0a:58:a9:fe:07:05';
let dir: string;
let network: GuestNetwork;

beforeAll(() => {
  execFileSync('ip', ['netns', 'add', netns]);
  execFileSync('ip', ['-n', netns, 'link', 'add', 'nic0', 'address', MAC, 'type', 'veth', 'peer', 'name', 'peer0']);
  execFileSync('ip', ['-n', netns, 'link', 'set', 'peer0', 'up']);
  dir = mkdtempSync(join(tmpdir(), 'guest-network-'));
  const ip = join(dir, 'ip');
  writeFileSync(ip, `#!/bin/sh\nexec ip -n ${netns} "$@"\n`);
  chmodSync(ip, 0o755);
  network = new GuestNetwork(ip, createLogger({ name: 'test', level: 'silent' }), 300);
});

afterAll(() => {
  execFileSync('ip', ['netns', 'del', netns]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('GuestNetwork (ip in a network namespace)', () => {
  it('finds the NIC by MAC, names it, sets its MTU and addresses and brings it up', async () => {
    await network.loopbackUp();
    await network.updateInterface({ name: 'eth0', mac: MAC.toUpperCase(), mtu: 1400, addresses: [{ family: 4, address: '169.254.7.5', prefixLength: 24 }] });
    const eth0 = (await network.listInterfaces()).find((i) => i.name === 'eth0');
    expect(eth0).toMatchObject({ mac: MAC, mtu: 1400 });
    expect(eth0?.addresses).toContainEqual({ family: 4, address: '169.254.7.5', prefixLength: 24 });
    expect(execFileSync('ip', ['-n', netns, '-o', 'link', 'show', 'eth0'], { encoding: 'utf8' })).toMatch(/[<,]UP[,>]/);
    // Again, with another address: the old one goes (an update, not an addition).
    await network.updateInterface({ name: 'eth0', mac: MAC, mtu: 1500, addresses: [{ family: 4, address: '169.254.7.6', prefixLength: 24 }] });
    const again = (await network.listInterfaces()).find((i) => i.name === 'eth0');
    expect(again?.addresses.filter((a) => a.family === 4).map((a) => a.address)).toEqual(['169.254.7.6']);
  });

  it('replaces the routes (link routes before gateways) and reads them back; neighbours are permanent', async () => {
    const routes = await network.updateRoutes([
      { family: 4, dest: 'default', gateway: '169.254.8.1', device: 'eth0', scope: 0 },
      { family: 4, dest: '169.254.8.1/32', device: 'eth0', scope: 253 },
    ]);
    expect(routes).toContainEqual({ family: 4, dest: 'default', gateway: '169.254.8.1', device: 'eth0', scope: 0 });
    expect(routes).toContainEqual({ family: 4, dest: '169.254.8.1', device: 'eth0', scope: 253 });
    // The kernel's route for the address stays; a second update drops what the first added.
    await network.updateRoutes([{ family: 4, dest: '169.254.9.0/24', gateway: '169.254.7.1', device: 'eth0', scope: 0 }]);
    const now = await network.listRoutes();
    expect(now.filter((r) => r.family === 4).map((r) => r.dest).sort()).toEqual(['169.254.7.0/24', '169.254.9.0/24']);
    await network.addNeighbors([{ family: 4, address: '169.254.7.9', device: 'eth0', mac: '02:00:00:00:00:09' }]);
    expect(execFileSync('ip', ['-n', netns, 'neigh', 'show', 'dev', 'eth0'], { encoding: 'utf8' })).toContain('169.254.7.9 lladdr 02:00:00:00:00:09 PERMANENT');
  });

  it('refuses bad fields by name before running ip, and says when no NIC has the MAC', async () => {
    const good = { name: 'eth0', mac: MAC, mtu: 1500, addresses: [] };
    await expect(network.updateInterface({ ...good, name: 'eth0; reboot' })).rejects.toThrow(/interface.name: .* is not an interface name/);
    await expect(network.updateInterface({ ...good, mtu: 10 })).rejects.toThrow(/interface.mtu: 10 is outside 68-65535/);
    await expect(network.updateInterface({ ...good, addresses: [{ family: 4, address: '::1', prefixLength: 8 }] })).rejects.toThrow(InvalidArgumentError);
    await expect(network.updateInterface({ ...good, addresses: [{ family: 4, address: '10.0.0.1', prefixLength: 33 }] })).rejects.toThrow(/prefix length \(0-32\)/);
    await expect(network.updateRoutes([{ family: 4, dest: '10.0.0.0/8 via 1.2.3.4', device: 'eth0', scope: 0 }])).rejects.toThrow(/routes\[0\].dest/);
    await expect(network.addNeighbors([{ family: 4, address: '169.254.7.9', device: 'eth0', mac: 'zz' }])).rejects.toThrow(/neighbors\[0\].lladdr/);
    await expect(network.updateInterface({ ...good, mac: '0a:58:00:00:00:01' })).rejects.toThrow(DeadlineExceededError);
  });
});

describe('loopbackIsUp (sysfs)', () => {
  it("reads IFF_UP from lo's flags, and is false without them", () => {
    const net = mkdtempSync(join(tmpdir(), 'sys-class-net-'));
    try {
      expect(loopbackIsUp(net)).toBe(false);
      mkdirSync(join(net, 'lo'));
      writeFileSync(join(net, 'lo/flags'), '0x8\n');
      expect(loopbackIsUp(net)).toBe(false);
      writeFileSync(join(net, 'lo/flags'), '0x9\n');
      expect(loopbackIsUp(net)).toBe(true);
    } finally {
      rmSync(net, { recursive: true, force: true });
    }
  });
});
