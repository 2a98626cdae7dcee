import type { oci } from '@kata-ts/protocols';
import type { OciLinux, OciLinuxResources, OciProcess, OciSpec } from '../../oci/spec';

/*
 * Kata's oci.proto (Go-style field names, proto3 zero values) to runtime-spec config.json.
 * proto3 cannot tell "unset" from 0, so zero limits mean "no limit" and are left out.
 */

const nonZero = (n: number | undefined): number | undefined => (n ? n : undefined);
const nonEmpty = <T>(a: T[] | undefined): T[] | undefined => (a && a.length ? a : undefined);
const text = (s: string | undefined): string | undefined => (s ? s : undefined);

export function specFromProto(p: oci.Spec): OciSpec {
  return prune({
    ociVersion: p.Version || '1.0.2',
    process: p.Process && processFromProto(p.Process),
    root: p.Root && { path: p.Root.Path, readonly: p.Root.Readonly },
    hostname: text(p.Hostname),
    mounts: p.Mounts.map((m) => ({ destination: m.destination, type: text(m.type), source: text(m.source), options: nonEmpty(m.options) })),
    annotations: Object.keys(p.Annotations).length ? p.Annotations : undefined,
    linux: p.Linux && linuxFromProto(p.Linux),
  });
}

export function processFromProto(p: oci.Process): OciProcess {
  const caps = p.Capabilities;
  return prune({
    terminal: p.Terminal || undefined,
    consoleSize: p.Terminal && p.ConsoleSize ? { height: p.ConsoleSize.Height, width: p.ConsoleSize.Width } : undefined,
    user: { uid: p.User?.UID ?? 0, gid: p.User?.GID ?? 0, additionalGids: nonEmpty(p.User?.AdditionalGids), username: text(p.User?.Username) },
    args: p.Args,
    env: p.Env,
    cwd: p.Cwd,
    capabilities: caps && {
      bounding: caps.Bounding,
      effective: caps.Effective,
      inheritable: caps.Inheritable,
      permitted: caps.Permitted,
      ambient: caps.Ambient,
    },
    rlimits: nonEmpty(p.Rlimits.map((r) => ({ type: r.Type, hard: Number(r.Hard), soft: Number(r.Soft) }))),
    noNewPrivileges: p.NoNewPrivileges || undefined,
    apparmorProfile: text(p.ApparmorProfile),
    oomScoreAdj: nonZero(p.OOMScoreAdj),
    selinuxLabel: text(p.SelinuxLabel),
  });
}

export function resourcesFromProto(r: oci.LinuxResources): OciLinuxResources {
  return prune({
    devices: nonEmpty(
      r.Devices.map((d) => ({
        allow: d.Allow,
        type: text(d.Type),
        major: d.Major >= 0 && d.Type !== 'a' && d.Type !== '' ? d.Major : undefined,
        minor: d.Minor >= 0 && d.Type !== 'a' && d.Type !== '' ? d.Minor : undefined,
        access: text(d.Access),
      })),
    ),
    memory: r.Memory && {
      limit: nonZero(r.Memory.Limit),
      reservation: nonZero(r.Memory.Reservation),
      swap: nonZero(r.Memory.Swap),
      swappiness: nonZero(r.Memory.Swappiness),
      disableOOMKiller: r.Memory.DisableOOMKiller || undefined,
    },
    cpu: r.CPU && {
      shares: nonZero(r.CPU.Shares),
      quota: nonZero(r.CPU.Quota),
      period: nonZero(r.CPU.Period),
      realtimeRuntime: nonZero(r.CPU.RealtimeRuntime),
      realtimePeriod: nonZero(r.CPU.RealtimePeriod),
      cpus: text(r.CPU.Cpus),
      mems: text(r.CPU.Mems),
    },
    pids: r.Pids?.Limit ? { limit: r.Pids.Limit } : undefined,
    hugepageLimits: nonEmpty(r.HugepageLimits.map((h) => ({ pageSize: h.Pagesize, limit: Number(h.Limit) }))),
  });
}

function linuxFromProto(l: oci.Linux): OciLinux {
  return prune({
    uidMappings: nonEmpty(l.UIDMappings.map((m) => ({ containerID: m.ContainerID, hostID: m.HostID, size: m.Size }))),
    gidMappings: nonEmpty(l.GIDMappings.map((m) => ({ containerID: m.ContainerID, hostID: m.HostID, size: m.Size }))),
    sysctl: Object.keys(l.Sysctl).length ? l.Sysctl : undefined,
    resources: l.Resources && resourcesFromProto(l.Resources),
    cgroupsPath: text(l.CgroupsPath),
    namespaces: l.Namespaces.map((n) => ({ type: n.Type, path: text(n.Path) })),
    devices: nonEmpty(
      l.Devices.map((d) => ({ path: d.Path, type: d.Type, major: d.Major, minor: d.Minor, fileMode: nonZero(d.FileMode), uid: d.UID, gid: d.GID })),
    ),
    seccomp: l.Seccomp && {
      defaultAction: l.Seccomp.DefaultAction,
      architectures: nonEmpty(l.Seccomp.Architectures),
      flags: nonEmpty(l.Seccomp.Flags),
      syscalls: l.Seccomp.Syscalls.map((s) => ({
        names: s.Names,
        action: s.Action,
        errnoRet: s.ErrnoRet?.value,
        args: nonEmpty(s.Args.map((a) => ({ index: a.Index, value: Number(a.Value), valueTwo: nonZero(Number(a.ValueTwo)), op: a.Op }))),
      })),
    },
    rootfsPropagation: text(l.RootfsPropagation),
    maskedPaths: nonEmpty(l.MaskedPaths),
    readonlyPaths: nonEmpty(l.ReadonlyPaths),
    mountLabel: text(l.MountLabel),
  });
}

/** Drops undefined fields and objects left empty, so crun sees only what was asked for. */
function prune<T>(value: T): T {
  if (Array.isArray(value)) return value.map(prune) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const pruned = prune(v);
    if (pruned && typeof pruned === 'object' && !Array.isArray(pruned) && Object.keys(pruned).length === 0) continue;
    out[k] = pruned;
  }
  return out as T;
}
