/** An IP address with its prefix, as the pod's interface carries it. */
export interface GuestAddress {
  family: 4 | 6;
  address: string;
  prefixLength: number;
}

/**
 * One of the pod's interfaces as the guest must have it (Kata's types.Interface). The guest finds
 * its NIC by `mac` (the pod interface's MAC, which the host gave the virtio-net device) and names it.
 */
export interface GuestInterface {
  /** Its name in the guest: the pod's (e.g. `eth0`). */
  name: string;
  mac: string;
  mtu: number;
  addresses: GuestAddress[];
}

/** A route of the pod's main table (Kata's types.Route); `dest` is `default` or a CIDR. */
export interface GuestRoute {
  family: 4 | 6;
  dest: string;
  gateway?: string;
  /** The guest interface's name. */
  device: string;
  /** Preferred source address. */
  source?: string;
  /** rtnetlink scope: 0 universe, 253 link, 254 host. */
  scope: number;
}

/** A static (permanent) neighbour entry of the pod (Kata's types.ARPNeighbor). */
export interface GuestNeighbor {
  family: 4 | 6;
  address: string;
  device: string;
  mac: string;
}

/** What the pod's network namespace holds, for the guest to reproduce on its NICs. */
export interface GuestNetwork {
  interfaces: GuestInterface[];
  routes: GuestRoute[];
  neighbors: GuestNeighbor[];
}
