import { InvalidArgumentError } from '@kata-ts/errors';
import { kataTypes } from '@kata-ts/protocols';
import { describe, expect, it } from 'vitest';
import { interfaceFromProto, interfaceToProto, neighborFromProto, neighborToProto, routeFromProto, routeToProto } from './guest-network-proto';

describe('the network messages ⇄ domain types', () => {
  it('round-trips an interface, a route and a neighbour through their protobuf encoding', () => {
    const iface = { name: 'eth0', mac: '0a:58:a9:fe:07:05', mtu: 1400, addresses: [{ family: 4 as const, address: '169.254.7.5', prefixLength: 24 }, { family: 6 as const, address: 'fd00::5', prefixLength: 64 }] };
    const wire = kataTypes.Interface.decode(kataTypes.Interface.encode(interfaceToProto(iface)).finish());
    expect(wire.IPAddresses[0]).toMatchObject({ family: kataTypes.IPFamily.v4, mask: '24' });
    expect(interfaceFromProto(wire)).toEqual(iface);
    const route = { family: 4 as const, dest: 'default', gateway: '169.254.7.1', device: 'eth0', scope: 0 };
    expect(routeFromProto(kataTypes.Route.decode(kataTypes.Route.encode(routeToProto(route)).finish()))).toEqual(route);
    const neighbor = { family: 4 as const, address: '169.254.7.9', device: 'eth0', mac: '02:00:00:00:00:09' };
    const arp = neighborToProto(neighbor);
    expect(arp.state).toBe(0x80); // NUD_PERMANENT
    expect(neighborFromProto(arp)).toEqual(neighbor);
  });

  it('refuses what cannot be an address, naming the field', () => {
    const bad = kataTypes.Interface.fromPartial({ name: 'eth0', IPAddresses: [{ family: kataTypes.IPFamily.v4, address: '10.0.0.1', mask: '255.255.255.0' }] });
    expect(() => interfaceFromProto(bad)).toThrow(InvalidArgumentError);
    expect(() => interfaceFromProto(bad)).toThrow('interface.IPAddresses[0].mask: "255.255.255.0" is not a prefix length');
    expect(() => routeFromProto(kataTypes.Route.fromPartial({ family: 7 as kataTypes.IPFamily }), 3)).toThrow('routes[3].family: 7 is not an IP family');
    expect(() => neighborFromProto(kataTypes.ARPNeighbor.fromPartial({ device: 'eth0' }), 1)).toThrow('neighbors[1].toIPAddress: missing');
  });
});
