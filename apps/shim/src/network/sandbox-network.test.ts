import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createLogger } from '@kata-ts/logging';
import { FailedPreconditionError, InvalidArgumentError } from '@kata-ts/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPodNetwork } from './pod-network';
import { detachNetwork, podNetns, SandboxNetwork } from './sandbox-network';

// What CNI's bridge plugin leaves in a pod's namespace, made by hand in a namespace of the
// test's own: a veth `eth0` (its peer in the host), an address, a default route, a static neighbour.
const log = createLogger({ name: 'test', level: 'silent' });
let name: string;
let netns: string;
const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
const inNs = (...args: string[]) => execFileSync('ip', ['-n', name, ...args], { encoding: 'utf8' });
const tc = (...args: string[]) => execFileSync('tc', ['-n', name, ...args], { encoding: 'utf8' });

beforeEach(() => {
  name = `kts-shim-${randomBytes(3).toString('hex')}`;
  netns = `/run/netns/${name}`;
  ip('netns', 'add', name);
});

afterEach(() => {
  ip('netns', 'del', name);
});

function cniLikePod(): string {
  const host = `v${randomBytes(4).toString('hex')}`;
  ip('link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name);
  inNs('addr', 'add', '169.254.31.7/24', 'dev', 'eth0');
  inNs('link', 'set', 'eth0', 'mtu', '1450', 'up');
  inNs('route', 'add', 'default', 'via', '169.254.31.1');
  inNs('neigh', 'add', '169.254.31.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'eth0', 'nud', 'permanent');
  return JSON.parse(inNs('-j', 'link', 'show', 'eth0'))[0].address as string;
}

describe('the pod network in its namespace', () => {
  it('reads what CNI made: interface, addresses, routes but the kernel’s, static neighbours', async () => {
    const mac = cniLikePod();
    const network = await readPodNetwork(netns);
    expect(network.interfaces).toEqual([{ name: 'eth0', mac, mtu: 1450, addresses: [{ family: 4, address: '169.254.31.7', prefixLength: 24 }] }]);
    expect(network.routes).toEqual([{ family: 4, dest: 'default', gateway: '169.254.31.1', device: 'eth0', scope: 0 }]);
    expect(network.neighbors).toEqual([{ family: 4, address: '169.254.31.9', device: 'eth0', mac: '02:00:00:00:00:09' }]);
  });

  it('ties each interface to a root-only tap with tc redirects both ways, and detach leaves the namespace as CNI made it', async () => {
    const mac = cniLikePod();
    const before = { links: inNs('-o', 'link', 'show').replace(/\s+/g, ' '), qdiscs: tc('qdisc', 'show') };
    const network = (await SandboxNetwork.attach(netns, log))!;
    expect(network.nics).toEqual([{ id: 'net0', tapName: 'tap0_kata', mac }]);
    expect(inNs('-d', 'link', 'show', 'tap0_kata')).toMatch(/mtu 1450 .*state/s);
    expect(inNs('-d', 'link', 'show', 'tap0_kata')).toContain('tun type tap');
    expect(tc('filter', 'show', 'dev', 'eth0', 'ingress')).toContain('Egress Redirect to device tap0_kata');
    expect(tc('filter', 'show', 'dev', 'tap0_kata', 'ingress')).toContain('Egress Redirect to device eth0');
    await network.detach();
    expect({ links: inNs('-o', 'link', 'show').replace(/\s+/g, ' '), qdiscs: tc('qdisc', 'show') }).toEqual(before);
    // Twice (the shim's stop, then `delete` after a crash) is fine.
    await detachNetwork(network.record);
  });

  it('says what is wrong with a namespace it cannot connect', async () => {
    expect(await SandboxNetwork.attach(netns, log)).toBeUndefined(); // only lo: nothing to connect
    inNs('link', 'add', 'br0', 'type', 'bridge');
    await expect(readPodNetwork(netns)).rejects.toThrow(`interface br0 in network namespace ${netns} is a bridge device`);
    expect(() => podNetns({ ociVersion: '1.0.2', linux: { namespaces: [{ type: 'network', path: '/run/netns/kts-none' }] } })).toThrow(InvalidArgumentError);
    expect(() => podNetns({ ociVersion: '1.0.2', linux: { namespaces: [{ type: 'network', path: '/run/netns/kts-none' }] } })).toThrow('network namespace /run/netns/kts-none does not exist');
    expect(podNetns({ ociVersion: '1.0.2', linux: { namespaces: [{ type: 'network' }] } })).toEqual({ kind: 'new' });
    expect(() => podNetns({ ociVersion: '1.0.2', linux: { namespaces: [{ type: 'pid' }] } })).toThrow(FailedPreconditionError);
    expect(() => podNetns({ ociVersion: '1.0.2', linux: { namespaces: [] } })).toThrow("the pod uses the host's network");
  });
});
