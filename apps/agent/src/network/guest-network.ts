import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { routeFromIpJson, type GuestAddress, type GuestInterface, type GuestNeighbor, type GuestRoute, type IpRouteJson } from '@kata-ts/guest-contract';
import type { Logger } from '@kata-ts/logging';
import { DeadlineExceededError, InvalidArgumentError } from '@kata-ts/errors';
import { CommandError } from '../errors';

/** A NIC hot-plugged into a VM resumed from a template takes a moment to appear. */
const NIC_WAIT_MS = 10_000;
const NAME = /^[A-Za-z0-9_.-]{1,15}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** IFF_UP in a link's flags (/sys/class/net/<link>/flags). */
const IFF_UP = 0x1;

/**
 * Whether `lo` is up already (kata-init brings it up at boot): read from sysfs, so a pod's start
 * spawns no ip(8) for it. `sysClassNet`: tests give another.
 */
export function loopbackIsUp(sysClassNet = '/sys/class/net'): boolean {
  try {
    return (Number(readFileSync(`${sysClassNet}/lo/flags`, 'utf8')) & IFF_UP) !== 0;
  } catch {
    return false;
  }
}

interface IpLink {
  ifname: string;
  address?: string;
  mtu: number;
  link_type: string;
  addr_info?: { family: string; local: string; prefixlen: number; scope: string }[];
}

/**
 * The pod's network inside the guest (Kata's UpdateInterface, UpdateRoutes, AddARPNeighbors,
 * ListInterfaces, ListRoutes), driven through iproute2's `ip` (in the guest image): writes as one
 * `ip -batch` each, reads from `ip -j`. Every field is checked first, so a bad request is refused
 * by name and never reaches `ip` half-applied.
 */
export class GuestNetwork {
  constructor(
    readonly ipBinary: string,
    readonly log: Logger,
    readonly nicWaitMs = NIC_WAIT_MS,
  ) {}

  /** Finds the NIC by MAC (waiting for a hot-plugged one), then names, sizes, addresses and raises it. */
  async updateInterface(iface: GuestInterface): Promise<GuestInterface> {
    checkName('interface.name', iface.name);
    if (!MAC.test(iface.mac)) throw new InvalidArgumentError(`interface.hwAddr: ${JSON.stringify(iface.mac)} is not a MAC address`);
    if (!Number.isInteger(iface.mtu) || iface.mtu < 68 || iface.mtu > 65535) throw new InvalidArgumentError(`interface.mtu: ${iface.mtu} is outside 68-65535`);
    iface.addresses.forEach((a, i) => checkAddress(`interface.IPAddresses[${i}]`, a));
    const link = await this.#linkByMac(iface.mac);
    const lines = [`link set dev ${link.ifname} down`];
    if (link.ifname !== iface.name) lines.push(`link set dev ${link.ifname} name ${iface.name}`);
    lines.push(`link set dev ${iface.name} mtu ${iface.mtu}`, `addr flush dev ${iface.name} scope global`);
    for (const a of iface.addresses) lines.push(`addr add ${a.address}/${a.prefixLength} dev ${iface.name}`);
    lines.push(`link set dev ${iface.name} up`);
    await this.#batch(lines);
    this.log.info({ iface: iface.name, mac: iface.mac, mtu: iface.mtu, addresses: iface.addresses.map((a) => `${a.address}/${a.prefixLength}`) }, 'interface configured');
    return iface;
  }

  /**
   * Replaces the routes that are not the kernel's own (those follow the addresses): routes without
   * a gateway first, so every gateway is reachable when its route is added.
   */
  async updateRoutes(routes: GuestRoute[]): Promise<GuestRoute[]> {
    routes.forEach((r, i) => checkRoute(`routes[${i}]`, r));
    const ordered = [...routes].sort((a, b) => Number(!!a.gateway) - Number(!!b.gateway));
    for (const family of [4, 6] as const) {
      const lines = ['route flush table main proto boot'];
      for (const r of ordered.filter((r) => r.family === family)) {
        const words = ['route', 'replace', r.dest];
        if (r.gateway) words.push('via', r.gateway);
        words.push('dev', r.device, 'scope', String(r.scope));
        if (r.source) words.push('src', r.source);
        lines.push(words.join(' '));
      }
      await this.#batch(lines, family);
    }
    this.log.info({ routes: routes.length }, 'routes replaced');
    return this.listRoutes();
  }

  async addNeighbors(neighbors: GuestNeighbor[]): Promise<void> {
    neighbors.forEach((n, i) => {
      const where = `neighbors[${i}]`;
      checkIp(`${where}.toIPAddress`, n.address, n.family);
      checkName(`${where}.device`, n.device);
      if (!MAC.test(n.mac)) throw new InvalidArgumentError(`${where}.lladdr: ${JSON.stringify(n.mac)} is not a MAC address`);
    });
    if (neighbors.length) await this.#batch(neighbors.map((n) => `neigh replace ${n.address} lladdr ${n.mac} dev ${n.device} nud permanent`));
  }

  async listInterfaces(): Promise<GuestInterface[]> {
    const links = await this.#json<IpLink[]>(['addr', 'show']);
    return links.map((l) => ({
      name: l.ifname,
      mac: l.address ?? '',
      mtu: l.mtu,
      addresses: (l.addr_info ?? []).map((a) => ({ family: a.family === 'inet6' ? 6 : 4, address: a.local, prefixLength: a.prefixlen })),
    }));
  }

  async listRoutes(): Promise<GuestRoute[]> {
    const out: GuestRoute[] = [];
    for (const family of [4, 6] as const) {
      for (const r of await this.#json<IpRouteJson[]>([`-${family}`, 'route', 'show', 'table', 'main'])) {
        const route = routeFromIpJson(r, family);
        if (route) out.push(route);
      }
    }
    return out;
  }

  /** Brings up lo (a fresh guest has it down). */
  async loopbackUp(): Promise<void> {
    await this.#batch(['link set dev lo up']);
  }

  async #linkByMac(mac: string): Promise<IpLink> {
    const deadline = Date.now() + this.nicWaitMs;
    for (;;) {
      const link = (await this.#json<IpLink[]>(['link', 'show'])).find((l) => l.link_type === 'ether' && l.address?.toLowerCase() === mac.toLowerCase());
      if (link) return link;
      if (Date.now() > deadline) throw new DeadlineExceededError(`no NIC with MAC ${mac} appeared in the guest within ${this.nicWaitMs} ms`);
      await sleep(50);
    }
  }

  async #json<T>(args: string[]): Promise<T> {
    return JSON.parse((await this.#run(['-j', ...args])) || '[]') as T;
  }

  #batch(lines: string[], family?: 4 | 6): Promise<string> {
    return this.#run([...(family ? [`-${family}`] : []), '-batch', '-'], `${lines.join('\n')}\n`);
  }

  #run(args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(this.ipBinary, args, { maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        reject(new CommandError(`ip ${args.join(' ')}`, typeof error.code === 'number' ? error.code : null, `${stderr || error.message}${input ? ` (input: ${input.trim().replace(/\n/g, '; ')})` : ''}`));
      });
      child.stdin?.end(input);
    });
  }
}

function checkName(where: string, name: string): void {
  if (!NAME.test(name)) throw new InvalidArgumentError(`${where}: ${JSON.stringify(name)} is not an interface name`);
}

function checkIp(where: string, address: string, family: 4 | 6): void {
  if (isIP(address) !== family) throw new InvalidArgumentError(`${where}: ${JSON.stringify(address)} is not an IPv${family} address`);
}

function checkAddress(where: string, a: GuestAddress): void {
  checkIp(where, a.address, a.family);
  const max = a.family === 4 ? 32 : 128;
  if (!Number.isInteger(a.prefixLength) || a.prefixLength < 0 || a.prefixLength > max) throw new InvalidArgumentError(`${where}.mask: ${a.prefixLength} is not a prefix length (0-${max})`);
}

function checkRoute(where: string, r: GuestRoute): void {
  if (r.dest !== 'default') {
    const [ip = '', prefix = String(r.family === 4 ? 32 : 128), ...rest] = r.dest.split('/');
    if (rest.length) throw new InvalidArgumentError(`${where}.dest: ${JSON.stringify(r.dest)} is not a destination`);
    checkAddress(`${where}.dest`, { family: r.family, address: ip, prefixLength: Number(prefix) });
  }
  if (r.gateway) checkIp(`${where}.gateway`, r.gateway, r.family);
  if (r.source) checkIp(`${where}.source`, r.source, r.family);
  checkName(`${where}.device`, r.device);
  if (!Number.isInteger(r.scope) || r.scope < 0 || r.scope > 255) throw new InvalidArgumentError(`${where}.scope: ${r.scope} is not an rtnetlink scope`);
}
