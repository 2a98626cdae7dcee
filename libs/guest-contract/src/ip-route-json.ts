import type { GuestRoute } from './guest-network';

/** A route as iproute2 prints it with `ip -j route show` (the shim reads the pod's, the agent the guest's). */
export interface IpRouteJson {
  dst: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
  scope?: string;
  protocol?: string;
  type?: string;
}

/** rtnetlink scopes by the names `ip -j` prints. */
const SCOPES: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };

/** The domain route of a unicast route through a device; undefined for any other kind. */
export function routeFromIpJson(r: IpRouteJson, family: 4 | 6): GuestRoute | undefined {
  if (!r.dev || (r.type && r.type !== 'unicast')) return undefined;
  return { family, dest: r.dst, device: r.dev, scope: SCOPES[r.scope ?? 'global'] ?? 0, ...(r.gateway ? { gateway: r.gateway } : {}), ...(r.prefsrc ? { source: r.prefsrc } : {}) };
}
