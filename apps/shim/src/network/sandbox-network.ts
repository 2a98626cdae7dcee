import { existsSync } from 'node:fs';
import type { AgentClient } from '@kata-ts/agent-client';
import type { GuestNetwork } from '@kata-ts/guest-contract';
import type { NetworkInterface } from '@kata-ts/hypervisor';
import type { Logger } from '@kata-ts/logging';
import type { OciSpec } from '@kata-ts/oci';
import { FailedPreconditionError, InvalidArgumentError } from '@kata-ts/errors';
import { readPodNetwork } from './pod-network';
import { connectTaps, disconnectTaps, type TapLink } from './tap-redirect';

/**
 * Where the pod's network is, from the sandbox's spec:
 * - `path`: CRI (and `ctr run --with-ns`) made the namespace and ran CNI in it before the sandbox
 *   reached the shim: connect what is there now;
 * - `new`: a namespace of its own and nothing in it yet (`ctr run`; with `--cni`, ctr runs CNI in
 *   the task's namespace between create and start): QEMU gets a fresh one, looked at again at start.
 * No network namespace at all is the host's network, which a VM cannot share: refused, as Kata does.
 */
export type PodNetns = { kind: 'path'; path: string } | { kind: 'new' };

export function podNetns(spec: OciSpec): PodNetns {
  const ns = spec.linux?.namespaces?.find((n) => n.type === 'network');
  if (!ns)
    throw new FailedPreconditionError(
      "the pod uses the host's network (hostNetwork: true, ctr run --net-host): a VM cannot share the host's network namespace; run it with runc, or give it a network of its own",
    );
  if (!ns.path) return { kind: 'new' };
  if (!existsSync(ns.path)) throw new InvalidArgumentError(`linux.namespaces: network namespace ${ns.path} does not exist`);
  return { kind: 'path', path: ns.path };
}

/** What the shim made of the pod's network, recorded so `delete` can undo it after a crash. */
export interface NetworkRecord {
  netns: string;
  taps: TapLink[];
}

/**
 * The pod's network connected to its VM: a tap per pod interface in the pod's namespace (tc
 * redirects, see tap-redirect.ts), a virtio-net NIC on each with the interface's MAC, and the
 * guest told the addresses, routes and static neighbours CNI gave the pod.
 */
export class SandboxNetwork {
  private constructor(
    readonly netns: string,
    readonly taps: TapLink[],
    readonly guest: GuestNetwork,
    readonly log: Logger,
  ) {}

  /** Connects what is in `netns`; undefined when it holds nothing but lo. */
  static async attach(netns: string, log: Logger): Promise<SandboxNetwork | undefined> {
    const guest = await readPodNetwork(netns);
    if (!guest.interfaces.length) return undefined;
    const taps = await connectTaps(netns, guest.interfaces);
    log.info({ netns, interfaces: guest.interfaces.map((i) => ({ name: i.name, mac: i.mac, mtu: i.mtu, addresses: i.addresses.map((a) => `${a.address}/${a.prefixLength}`) })), routes: guest.routes.length }, 'pod network connected to taps');
    return new SandboxNetwork(netns, taps, guest, log);
  }

  /** The VM's NICs: QEMU opens each tap by name in the pod's namespace. */
  get nics(): NetworkInterface[] {
    return this.taps.map((t, i) => ({ id: `net${i}`, tapName: t.tap, mac: this.guest.interfaces[i]!.mac }));
  }

  get record(): NetworkRecord {
    return { netns: this.netns, taps: this.taps };
  }

  /** Gives the guest the pod's interfaces, routes and neighbours (before any container starts). */
  async configureGuest(agent: AgentClient): Promise<void> {
    for (const iface of this.guest.interfaces) await agent.updateInterface(iface);
    await agent.updateRoutes(this.guest.routes);
    if (this.guest.neighbors.length) await agent.addArpNeighbors(this.guest.neighbors);
    this.log.info('guest network configured');
  }

  detach(): Promise<void> {
    return detachNetwork(this.record);
  }
}

/** Undoes what the shim made in the pod's namespace (also from `delete`, after a shim died). */
export function detachNetwork(record: NetworkRecord): Promise<void> {
  return disconnectTaps(record.netns, record.taps);
}
