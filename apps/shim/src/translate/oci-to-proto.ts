import { oci } from '@kata-ts/protocols';
import type { OciLinux, OciLinuxResources, OciProcess, OciSpec } from './oci-spec';

/*
 * config.json (runtime-spec JSON) to Kata's oci.proto, as Kata's shim sends it to the agent.
 * Protobuf has no "unset": absent numbers become 0, absent devices major/minor -1 (wildcard).
 */

export function specToProto(s: OciSpec): oci.Spec {
  return oci.Spec.fromPartial({
    Version: s.ociVersion ?? '',
    Process: s.process && processToProto(s.process),
    Root: s.root && { Path: s.root.path, Readonly: s.root.readonly ?? false },
    Hostname: s.hostname ?? '',
    Mounts: (s.mounts ?? []).map((m) => ({ destination: m.destination, source: m.source ?? '', type: m.type ?? '', options: m.options ?? [] })),
    Annotations: s.annotations ?? {},
    Linux: s.linux && linuxToProto(s.linux),
  });
}

export function processToProto(p: OciProcess): oci.Process {
  const caps = p.capabilities;
  return oci.Process.fromPartial({
    Terminal: p.terminal ?? false,
    ConsoleSize: p.consoleSize && { Height: p.consoleSize.height, Width: p.consoleSize.width },
    User: { UID: p.user?.uid ?? 0, GID: p.user?.gid ?? 0, AdditionalGids: p.user?.additionalGids ?? [], Username: p.user?.username ?? '' },
    Args: p.args ?? [],
    Env: p.env ?? [],
    Cwd: p.cwd || '/',
    Capabilities: caps && {
      Bounding: caps.bounding ?? [],
      Effective: caps.effective ?? [],
      Inheritable: caps.inheritable ?? [],
      Permitted: caps.permitted ?? [],
      Ambient: caps.ambient ?? [],
    },
    Rlimits: (p.rlimits ?? []).map((r) => ({ Type: r.type, Hard: String(r.hard), Soft: String(r.soft) })),
    NoNewPrivileges: p.noNewPrivileges ?? false,
    ApparmorProfile: p.apparmorProfile ?? '',
    OOMScoreAdj: p.oomScoreAdj ?? 0,
    SelinuxLabel: p.selinuxLabel ?? '',
  });
}

export function resourcesToProto(r: OciLinuxResources): oci.LinuxResources {
  return oci.LinuxResources.fromPartial({
    Devices: (r.devices ?? []).map((d) => ({ Allow: d.allow, Type: d.type ?? 'a', Major: d.major ?? -1, Minor: d.minor ?? -1, Access: d.access ?? '' })),
    Memory: r.memory && {
      Limit: r.memory.limit ?? 0,
      Reservation: r.memory.reservation ?? 0,
      Swap: r.memory.swap ?? 0,
      Swappiness: r.memory.swappiness ?? 0,
      DisableOOMKiller: r.memory.disableOOMKiller ?? false,
    },
    CPU: r.cpu && {
      Shares: r.cpu.shares ?? 0,
      Quota: r.cpu.quota ?? 0,
      Period: r.cpu.period ?? 0,
      RealtimeRuntime: r.cpu.realtimeRuntime ?? 0,
      RealtimePeriod: r.cpu.realtimePeriod ?? 0,
      Cpus: r.cpu.cpus ?? '',
      Mems: r.cpu.mems ?? '',
    },
    Pids: r.pids && { Limit: r.pids.limit },
    HugepageLimits: (r.hugepageLimits ?? []).map((h) => ({ Pagesize: h.pageSize, Limit: String(h.limit) })),
  });
}

function linuxToProto(l: OciLinux): oci.Linux {
  const ids = (m: { containerID: number; hostID: number; size: number }) => ({ ContainerID: m.containerID, HostID: m.hostID, Size: m.size });
  return oci.Linux.fromPartial({
    UIDMappings: (l.uidMappings ?? []).map(ids),
    GIDMappings: (l.gidMappings ?? []).map(ids),
    Sysctl: l.sysctl ?? {},
    Resources: l.resources && resourcesToProto(l.resources),
    CgroupsPath: l.cgroupsPath ?? '',
    Namespaces: (l.namespaces ?? []).map((n) => ({ Type: n.type, Path: n.path ?? '' })),
    Devices: (l.devices ?? []).map((d) => ({ Path: d.path, Type: d.type, Major: d.major, Minor: d.minor, FileMode: d.fileMode ?? 0, UID: d.uid ?? 0, GID: d.gid ?? 0 })),
    Seccomp: l.seccomp && {
      DefaultAction: l.seccomp.defaultAction,
      Architectures: l.seccomp.architectures ?? [],
      Flags: l.seccomp.flags ?? [],
      Syscalls: (l.seccomp.syscalls ?? []).map((s) => ({
        Names: s.names,
        Action: s.action,
        ErrnoRet: s.errnoRet === undefined ? undefined : { $case: 'errnoret' as const, value: s.errnoRet },
        Args: (s.args ?? []).map((a) => ({ Index: a.index, Value: String(a.value), ValueTwo: String(a.valueTwo ?? 0), Op: a.op })),
      })),
    },
    RootfsPropagation: l.rootfsPropagation ?? '',
    MaskedPaths: l.maskedPaths ?? [],
    ReadonlyPaths: l.readonlyPaths ?? [],
    MountLabel: l.mountLabel ?? '',
  });
}
