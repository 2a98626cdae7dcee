import { isIP } from 'node:net';
import { routeFromIpJson, type GuestInterface, type GuestNeighbor, type GuestNetwork, type GuestRoute, type IpRouteJson } from '@kata-ts/guest-contract';
import { InvalidArgumentError } from '@kata-ts/errors';
import { ipJson } from './netns-command';

/**
 * Link kinds whose frames a tc redirect can carry to the VM unchanged (Kata's veth, macvlan,
 * ipvlan, vlan and physical endpoints); `undefined` is a physical NIC moved into the namespace.
 */
const BRIDGEABLE = new Set<string | undefined>(['veth', 'macvlan', 'ipvlan', 'vlan', undefined]);

interface IpLink {
  ifname: string;
  address?: string;
  mtu: number;
  link_type: string;
  linkinfo?: { info_kind?: string; info_data?: { type?: string } };
  addr_info?: { local: string; prefixlen: number; scope: string }[];
}

interface IpNeighbor {
  dst: string;
  dev: string;
  lladdr?: string;
  state?: string[];
}

/**
 * What CNI made in the pod's network namespace, as the guest must reproduce it: every interface
 * but lo (name, MAC, MTU, addresses but the link-local ones the guest makes itself), the routes
 * of the main table that are not the kernel's own (those follow the addresses), and the static
 * neighbours. An interface the VM cannot be given is refused by name.
 */
export async function readPodNetwork(netns: string): Promise<GuestNetwork> {
  const links = (await ipJson<IpLink[]>(netns, ['-d', 'addr', 'show'])).filter((l) => l.link_type !== 'loopback');
  for (const l of links) {
    const kind = l.linkinfo?.info_kind;
    if (l.link_type !== 'ether' || !BRIDGEABLE.has(kind))
      throw new InvalidArgumentError(
        `interface ${l.ifname} in network namespace ${netns} is a ${kind ?? l.link_type} device: kata-ts connects veth, macvlan, ipvlan, vlan or physical ethernet interfaces to the VM`,
      );
  }
  const interfaces = links.map(
    (l): GuestInterface => ({
      name: l.ifname,
      mac: l.address ?? '',
      mtu: l.mtu,
      addresses: (l.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => ({ family: family(a.local), address: a.local, prefixLength: a.prefixlen })),
    }),
  );
  const names = new Set(interfaces.map((i) => i.name));
  const routes: GuestRoute[] = [];
  for (const f of [4, 6] as const) {
    for (const r of await ipJson<IpRouteJson[]>(netns, [`-${f}`, 'route', 'show', 'table', 'main'])) {
      const route = r.protocol === 'kernel' ? undefined : routeFromIpJson(r, f);
      if (route && names.has(route.device)) routes.push(route);
    }
  }
  const neighbors = (await ipJson<IpNeighbor[]>(netns, ['neigh', 'show']))
    .filter((n) => names.has(n.dev) && n.lladdr && n.state?.includes('PERMANENT'))
    .map((n): GuestNeighbor => ({ family: family(n.dst), address: n.dst, device: n.dev, mac: n.lladdr! }));
  return { interfaces, routes, neighbors };
}

function family(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}
