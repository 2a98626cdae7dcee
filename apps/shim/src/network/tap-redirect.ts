import { existsSync } from 'node:fs';
import { inNetns, ipJson } from './netns-command';

/** A tap the shim made next to one of the pod's interfaces, frames redirected both ways. */
export interface TapLink {
  tap: string;
  /** The pod interface (CNI's veth) it mirrors. */
  iface: string;
}

/** Kata's tap names. */
export const tapName = (index: number): string => `tap${index}_kata`;

/**
 * Kata's default `internetworking_model = "tcfilter"`: a tap per pod interface, with an ingress
 * qdisc on each side whose match-all filter redirects every frame to the other. The pod's
 * interface keeps its addresses, so CNI's DEL finds what it made; the VM gets the frames raw.
 * The taps are persistent and root-owned: only root (QEMU, run by the shim) can attach to them.
 */
export async function connectTaps(netns: string, ifaces: { name: string; mtu: number }[]): Promise<TapLink[]> {
  const links = ifaces.map((iface, i) => ({ tap: tapName(i), iface: iface.name }));
  const redirect = (from: string, to: string) => [
    `qdisc add dev ${from} ingress`,
    `filter add dev ${from} parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev ${to}`,
  ];
  try {
    await inNetns(netns, 'ip', ['-batch', '-'], lines(ifaces.flatMap((iface, i) => [`tuntap add dev ${tapName(i)} mode tap`, `link set dev ${tapName(i)} mtu ${iface.mtu} up`])));
    await inNetns(netns, 'tc', ['-batch', '-'], lines(links.flatMap((l) => [...redirect(l.iface, l.tap), ...redirect(l.tap, l.iface)])));
  } catch (err) {
    await disconnectTaps(netns, links).catch(() => undefined);
    throw err;
  }
  return links;
}

/**
 * Removes the taps (their qdiscs and filters go with them) and the ingress qdiscs on the pod's
 * interfaces, leaving the namespace as CNI made it. Nothing to do once the namespace is gone.
 * Parts already gone are not an error (a second call, a half-made connect).
 */
export async function disconnectTaps(netns: string, links: TapLink[]): Promise<void> {
  if (!links.length || !existsSync(netns)) return;
  const present = new Set((await ipJson<{ ifname: string }[]>(netns, ['link', 'show'])).map((l) => l.ifname));
  const taps = links.filter((l) => present.has(l.tap)).map((l) => `link del dev ${l.tap}`);
  const qdiscs = links.filter((l) => present.has(l.iface)).map((l) => `qdisc del dev ${l.iface} ingress`);
  if (taps.length) await inNetns(netns, 'ip', ['-batch', '-'], lines(taps));
  // -force: an interface whose ingress qdisc is already gone is fine.
  if (qdiscs.length) await inNetns(netns, 'tc', ['-force', '-batch', '-'], lines(qdiscs)).catch(() => undefined);
}

const lines = (l: string[]): string => `${l.join('\n')}\n`;
