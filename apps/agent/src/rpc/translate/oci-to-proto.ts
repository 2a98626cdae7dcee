import { oci } from '@kata-ts/protocols';
import type { OciLinuxResources, OciProcess, OciSpec } from '../../oci/spec';

/*
 * runtime-spec config.json to Kata's oci.proto: what a shim sends. Used by the agent's tests
 * and benchmark to speak the real wire format.
 */

export function specToProto(s: OciSpec): oci.Spec {
  const l = s.linux;
  return oci.Spec.fromPartial({
    Version: s.ociVersion,
    Process: s.process && processToProto(s.process),
    Root: s.root && { Path: s.root.path, Readonly: s.root.readonly ?? false },
    Hostname: s.hostname ?? '',
    Mounts: (s.mounts ?? []).map((m) => ({ destination: m.destination, source: m.source ?? '', type: m.type ?? '', options: m.options ?? [] })),
    Annotations: s.annotations ?? {},
    Linux: l && {
      Sysctl: l.sysctl ?? {},
      Resources: l.resources && resourcesToProto(l.resources),
      CgroupsPath: l.cgroupsPath ?? '',
      Namespaces: (l.namespaces ?? []).map((n) => ({ Type: n.type, Path: n.path ?? '' })),
      MaskedPaths: l.maskedPaths ?? [],
      ReadonlyPaths: l.readonlyPaths ?? [],
      RootfsPropagation: l.rootfsPropagation ?? '',
      UIDMappings: (l.uidMappings ?? []).map((m) => ({ ContainerID: m.containerID, HostID: m.hostID, Size: m.size })),
      GIDMappings: (l.gidMappings ?? []).map((m) => ({ ContainerID: m.containerID, HostID: m.hostID, Size: m.size })),
      Seccomp: l.seccomp && seccompToProto(l.seccomp as unknown as Seccomp),
    },
  });
}

interface Seccomp {
  defaultAction: string;
  architectures?: string[];
  flags?: string[];
  syscalls?: { names: string[]; action: string; errnoRet?: number; args?: { index: number; value: number; valueTwo?: number; op: string }[] }[];
}

function seccompToProto(s: Seccomp): oci.LinuxSeccomp {
  return oci.LinuxSeccomp.fromPartial({
    DefaultAction: s.defaultAction,
    Architectures: s.architectures ?? [],
    Flags: s.flags ?? [],
    Syscalls: (s.syscalls ?? []).map((c) => ({
      Names: c.names,
      Action: c.action,
      ErrnoRet: c.errnoRet === undefined ? undefined : { $case: 'errnoret' as const, value: c.errnoRet },
      Args: (c.args ?? []).map((a) => ({ Index: a.index, Value: String(a.value), ValueTwo: String(a.valueTwo ?? 0), Op: a.op })),
    })),
  });
}

export function processToProto(p: OciProcess): oci.Process {
  const caps = p.capabilities;
  return oci.Process.fromPartial({
    Terminal: p.terminal ?? false,
    ConsoleSize: p.consoleSize && { Height: p.consoleSize.height, Width: p.consoleSize.width },
    User: { UID: p.user.uid, GID: p.user.gid, AdditionalGids: p.user.additionalGids ?? [] },
    Args: p.args ?? [],
    Env: p.env ?? [],
    Cwd: p.cwd,
    Capabilities: caps && {
      Bounding: caps.bounding ?? [],
      Effective: caps.effective ?? [],
      Inheritable: caps.inheritable ?? [],
      Permitted: caps.permitted ?? [],
      Ambient: caps.ambient ?? [],
    },
    Rlimits: (p.rlimits ?? []).map((r) => ({ Type: r.type, Hard: String(r.hard), Soft: String(r.soft) })),
    NoNewPrivileges: p.noNewPrivileges ?? false,
  });
}

export function resourcesToProto(r: OciLinuxResources): oci.LinuxResources {
  return oci.LinuxResources.fromPartial({
    Devices: (r.devices ?? []).map((d) => ({ Allow: d.allow, Type: d.type ?? 'a', Major: d.major ?? -1, Minor: d.minor ?? -1, Access: d.access ?? '' })),
    Memory: r.memory && { Limit: r.memory.limit ?? 0, Swap: r.memory.swap ?? 0, Reservation: r.memory.reservation ?? 0 },
    CPU: r.cpu && { Shares: r.cpu.shares ?? 0, Quota: r.cpu.quota ?? 0, Period: r.cpu.period ?? 0, Cpus: r.cpu.cpus ?? '', Mems: r.cpu.mems ?? '' },
    Pids: r.pids && { Limit: r.pids.limit },
  });
}
