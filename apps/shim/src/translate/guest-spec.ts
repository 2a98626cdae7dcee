import { hostname } from 'node:os';
import type { OciSpec } from '@kata-ts/oci';

export interface GuestSpecPlan {
  spec: OciSpec;
  /** Join the pod's shared PID namespace in the guest (the agent's sandbox_pidns). */
  sandboxPidns: boolean;
}

/**
 * What the host's namespace paths mean inside the VM, decided once here:
 * - a PID namespace given by path (CRI's shared process namespace: /proc/<pause pid>/ns/pid) is
 *   a host path the guest cannot open: ask the agent to join the pod's PID namespace instead;
 *   the pod's sandbox container always offers its PID namespace to share;
 * - no UTS namespace means "the node's": the guest has none, so the container gets a UTS
 *   namespace of its own carrying the node's hostname;
 * - a new UTS namespace without a hostname (`ctr run`) starts, under runc, as a copy of the node's:
 *   the guest's own would be `(none)`, so it gets the node's hostname too.
 */
export function planGuestSpec(spec: OciSpec, isPodSandbox: boolean): GuestSpecPlan {
  const namespaces = spec.linux?.namespaces ?? [];
  const pid = namespaces.find((n) => n.type === 'pid');
  const sandboxPidns = isPodSandbox || !!pid?.path;
  const uts = namespaces.find((n) => n.type === 'uts');
  if (!spec.linux || uts?.path) return { spec, sandboxPidns };
  const linux = uts ? spec.linux : { ...spec.linux, namespaces: [...namespaces, { type: 'uts' }] };
  return { spec: { ...spec, hostname: spec.hostname || hostname(), linux }, sandboxPidns };
}
