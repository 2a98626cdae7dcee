import { isAbsolute, join } from 'node:path';
import { InvalidArgumentError } from '@kata-ts/errors';
import { validateProcess as validateOciProcess, type OciMount, type OciNamespace, type OciProcess, type OciSpec } from '@kata-ts/oci';

/** What the sandbox knows when it plans a container's config.json. */
export interface PlanContext {
  sandboxId: string;
  containerId: string;
  /** Where container rootfs live: `<sharedDir>/<container-id>/rootfs`. */
  sharedDir: string;
  /** Host pid whose pid namespace the container joins (shared sandbox pidns), if any. */
  pidnsOwnerPid?: number;
  /** Host pid of the pod's first container, whose ipc/uts namespaces later containers join. */
  podOwnerPid?: number;
  hostname?: string;
  /** Sandbox files bind-mounted into containers: /etc/hosts, /etc/resolv.conf, /etc/hostname. */
  sandboxFiles: Record<string, string>;
  /** The unified hierarchy (always in the guest; the agent's host tests may run on v1). */
  cgroupV2: boolean;
}

const NAMESPACE_TYPES = new Set(['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time']);

/** The cgroup of a container, relative to the cgroup root (v2) or each controller (v1). */
export function cgroupPathOf(sandboxId: string, containerId: string): string {
  return `/kata/${sandboxId}/${containerId}`;
}

/**
 * Turns the spec the shim sent into the config.json crun runs. The agent owns the plan:
 * - rootfs: an absolute root.path is used as is, else `<sharedDir>/<id>/<root.path|rootfs>`;
 * - namespaces: mount, pid and cgroup always new (or pid joins the sandbox pidns when shared);
 *   network dropped (the guest's network is the pod's); ipc/uts given with a path (a host path,
 *   meaningless in the guest) join the pod's first container, else are new;
 * - cgroup: `/kata/<sandbox>/<container>`, in a cgroup namespace of its own, memory.oom.group set;
 * - hooks dropped (host paths); sandbox hosts/resolv.conf/hostname bind-mounted.
 */
export function planSpec(input: OciSpec, ctx: PlanContext): OciSpec {
  const spec: OciSpec = structuredClone(input);
  spec.ociVersion ||= '1.0.2';
  validateProcess(spec.process, 'process');

  const rootPath = spec.root?.path ?? '';
  spec.root = {
    path: isAbsolute(rootPath) ? rootPath : join(ctx.sharedDir, ctx.containerId, rootPath || 'rootfs'),
    readonly: spec.root?.readonly ?? false,
  };

  const linux = (spec.linux ??= {});
  linux.namespaces = planNamespaces(linux.namespaces ?? [], ctx);
  linux.cgroupsPath = cgroupPathOf(ctx.sandboxId, ctx.containerId);
  // An OOM kill ends the whole container (exit 137, OOMKilled), as the kubelet asks on cgroup v2:
  // a survivor of a partial kill can also thrash forever against memory it cannot free (tmpfs).
  if (ctx.cgroupV2) linux.resources = { ...linux.resources, unified: { 'memory.oom.group': '1', ...linux.resources?.unified } };
  delete spec.hooks;

  const hasUts = linux.namespaces.some((n) => n.type === 'uts' && !n.path);
  if (hasUts && !spec.hostname && ctx.hostname) spec.hostname = ctx.hostname;

  const mounts = spec.mounts ?? [];
  mounts.forEach((m, i) => validateMount(m, `mounts[${i}]`));
  for (const [destination, source] of Object.entries(ctx.sandboxFiles)) {
    if (!mounts.some((m) => m.destination === destination)) {
      mounts.push({ destination, type: 'bind', source, options: ['rbind', 'rprivate'] });
    }
  }
  spec.mounts = mounts;
  return spec;
}

/** Defaults what the proto cannot carry as unset, then runc's checks (libs/oci: args, cwd, uid/gid ranges). */
export function validateProcess(process: OciProcess | undefined, field: string): asserts process is OciProcess {
  if (!process) throw new InvalidArgumentError(`${field}: missing`);
  if (!process.args?.[0]) throw new InvalidArgumentError(`${field}.args must not be empty`);
  process.cwd ||= '/';
  process.user ??= { uid: 0, gid: 0 };
  try {
    validateOciProcess(process, field);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message, { cause: err });
  }
  for (const [i, e] of (process.env ?? []).entries()) {
    if (!e.includes('=')) throw new InvalidArgumentError(`${field}.env[${i}]: "${e}" is not NAME=value`);
  }
  if (process.terminal && process.consoleSize && (process.consoleSize.height === 0 || process.consoleSize.width === 0)) {
    delete process.consoleSize;
  }
}

function validateMount(m: OciMount, field: string): void {
  if (!m.destination || !isAbsolute(m.destination)) {
    throw new InvalidArgumentError(`${field}.destination: "${m.destination}" is not absolute`);
  }
  const bind = m.type === 'bind' || m.options?.some((o) => o === 'bind' || o === 'rbind');
  if (bind && (!m.source || !isAbsolute(m.source))) {
    throw new InvalidArgumentError(`${field}.source: bind source "${m.source ?? ''}" is not absolute`);
  }
}

function planNamespaces(requested: OciNamespace[], ctx: PlanContext): OciNamespace[] {
  const out = new Map<string, OciNamespace>();
  for (const [i, ns] of requested.entries()) {
    if (!NAMESPACE_TYPES.has(ns.type)) throw new InvalidArgumentError(`linux.namespaces[${i}].type: unknown "${ns.type}"`);
    if (out.has(ns.type)) throw new InvalidArgumentError(`linux.namespaces[${i}]: "${ns.type}" given twice`);
    switch (ns.type) {
      case 'network':
        continue;
      case 'ipc':
      case 'uts':
        out.set(ns.type, ns.path && ctx.podOwnerPid ? { type: ns.type, path: `/proc/${ctx.podOwnerPid}/ns/${ns.type}` } : { type: ns.type });
        continue;
      case 'pid':
      case 'mount':
        out.set(ns.type, { type: ns.type });
        continue;
      default:
        if (ns.path) throw new InvalidArgumentError(`linux.namespaces[${i}]: joining a "${ns.type}" namespace by path is not supported`);
        out.set(ns.type, { type: ns.type });
    }
  }
  // A container never sees the agent's processes or mounts; it sees its own cgroup as the root
  // (/sys/fs/cgroup/memory.max is its limit), as runc gives it on cgroup v2 (the guest's).
  out.set('mount', { type: 'mount' });
  out.set('pid', { type: 'pid' });
  out.set('cgroup', { type: 'cgroup' });
  if (ctx.pidnsOwnerPid) out.set('pid', { type: 'pid', path: `/proc/${ctx.pidnsOwnerPid}/ns/pid` });
  return [...out.values()];
}
