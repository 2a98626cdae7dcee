import { InvalidArgumentError } from '@kata-ts/errors';
import { kataTypes } from '@kata-ts/protocols';
import type { GuestInterface, GuestNeighbor, GuestRoute } from './guest-network';

// Kata's network messages ⇄ the domain types, one module for both ends of the wire: the shim's
// agent client writes requests and reads ListInterfaces/ListRoutes, the agent the other way round.

/** rtnetlink's NUD_PERMANENT: neighbours the shim passes on are static entries. */
const NUD_PERMANENT = 0x80;

const protoFamily = (family: 4 | 6): kataTypes.IPFamily => (family === 6 ? kataTypes.IPFamily.v6 : kataTypes.IPFamily.v4);

function family(value: kataTypes.IPFamily, where: string): 4 | 6 {
  if (value === kataTypes.IPFamily.v4) return 4;
  if (value === kataTypes.IPFamily.v6) return 6;
  throw new InvalidArgumentError(`${where}.family: ${value} is not an IP family`);
}

/** Kata carries the prefix length as a decimal string in `mask`. */
function prefixLength(mask: string, where: string): number {
  if (!/^\d{1,3}$/.test(mask)) throw new InvalidArgumentError(`${where}.mask: ${JSON.stringify(mask)} is not a prefix length`);
  return Number(mask);
}

export function interfaceToProto(i: GuestInterface): kataTypes.Interface {
  return kataTypes.Interface.fromPartial({
    device: i.name,
    name: i.name,
    hwAddr: i.mac,
    mtu: i.mtu,
    IPAddresses: i.addresses.map((a) => ({ family: protoFamily(a.family), address: a.address, mask: String(a.prefixLength) })),
  });
}

export function interfaceFromProto(i: kataTypes.Interface, where = 'interface'): GuestInterface {
  return {
    name: i.name || i.device,
    mac: i.hwAddr,
    mtu: Number(i.mtu),
    addresses: i.IPAddresses.map((a, n) => {
      const at = `${where}.IPAddresses[${n}]`;
      return { family: family(a.family, at), address: a.address, prefixLength: prefixLength(a.mask, at) };
    }),
  };
}

export function routeToProto(r: GuestRoute): kataTypes.Route {
  return kataTypes.Route.fromPartial({ family: protoFamily(r.family), dest: r.dest, gateway: r.gateway ?? '', device: r.device, source: r.source ?? '', scope: r.scope });
}

export function routeFromProto(r: kataTypes.Route, n = 0): GuestRoute {
  return {
    family: family(r.family, `routes[${n}]`),
    dest: r.dest || 'default',
    device: r.device,
    scope: r.scope,
    ...(r.gateway ? { gateway: r.gateway } : {}),
    ...(r.source ? { source: r.source } : {}),
  };
}

export function neighborToProto(n: GuestNeighbor): kataTypes.ARPNeighbor {
  return kataTypes.ARPNeighbor.fromPartial({ toIPAddress: { family: protoFamily(n.family), address: n.address, mask: '' }, device: n.device, lladdr: n.mac, state: NUD_PERMANENT });
}

export function neighborFromProto(a: kataTypes.ARPNeighbor, n = 0): GuestNeighbor {
  if (!a.toIPAddress) throw new InvalidArgumentError(`neighbors[${n}].toIPAddress: missing`);
  return { family: family(a.toIPAddress.family, `neighbors[${n}].toIPAddress`), address: a.toIPAddress.address, device: a.device, mac: a.lladdr };
}
