import { oci } from '@kata-ts/protocols';
import type { OciHook, OciHooks, OciIdMapping, OciLinux, OciLinuxResources, OciProcess, OciSeccomp, OciSpec, OciThrottleDevice } from './spec';
import { uint64ToProto } from './uint64';

/*
 * runtime-spec JSON to Kata's oci.proto, what a shim sends the agent. proto3 has no "unset":
 * absent numbers become 0 and absent device-cgroup major/minor -1 (any), as Kata's runtime does.
 */

export function specToProto(s: OciSpec): oci.Spec {
  return oci.Spec.fromPartial({
    Version: s.ociVersion,
    Process: s.process && processToProto(s.process),
    Root: s.root && { Path: s.root.path, Readonly: s.root.readonly ?? false },
    Hostname: s.hostname ?? '',
    Mounts: (s.mounts ?? []).map((m) => ({ destination: m.destination, source: m.source ?? '', type: m.type ?? '', options: m.options ?? [] })),
    Hooks: s.hooks && hooksToProto(s.hooks),
    Annotations: s.annotations ?? {},
    Linux: s.linux && linuxToProto(s.linux),
  });
}

export function processToProto(p: OciProcess): oci.Process {
  const caps = p.capabilities;
  return oci.Process.fromPartial({
    Terminal: p.terminal ?? false,
    ConsoleSize: p.consoleSize && { Height: p.consoleSize.height, Width: p.consoleSize.width },
    User: { UID: p.user.uid, GID: p.user.gid, AdditionalGids: p.user.additionalGids ?? [], Username: p.user.username ?? '' },
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
    Rlimits: (p.rlimits ?? []).map((r, i) => ({
      Type: r.type,
      Hard: uint64ToProto(r.hard, `process.rlimits[${i}].hard`),
      Soft: uint64ToProto(r.soft, `process.rlimits[${i}].soft`),
    })),
    NoNewPrivileges: p.noNewPrivileges ?? false,
    ApparmorProfile: p.apparmorProfile ?? '',
    OOMScoreAdj: p.oomScoreAdj ?? 0,
    SelinuxLabel: p.selinuxLabel ?? '',
  });
}

export function resourcesToProto(r: OciLinuxResources): oci.LinuxResources {
  const throttle = (ds: OciThrottleDevice[] | undefined) => (ds ?? []).map((d) => ({ Major: d.major, Minor: d.minor, Rate: d.rate }));
  const io = r.blockIO;
  return oci.LinuxResources.fromPartial({
    Devices: (r.devices ?? []).map((d) => ({ Allow: d.allow, Type: d.type ?? '', Major: d.major ?? -1, Minor: d.minor ?? -1, Access: d.access ?? '' })),
    Memory: r.memory && {
      Limit: r.memory.limit ?? 0,
      Reservation: r.memory.reservation ?? 0,
      Swap: r.memory.swap ?? 0,
      Kernel: r.memory.kernel ?? 0,
      KernelTCP: r.memory.kernelTCP ?? 0,
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
    BlockIO: io && {
      Weight: io.weight ?? 0,
      LeafWeight: io.leafWeight ?? 0,
      WeightDevice: (io.weightDevice ?? []).map((d) => ({ Major: d.major, Minor: d.minor, Weight: d.weight ?? 0, LeafWeight: d.leafWeight ?? 0 })),
      ThrottleReadBpsDevice: throttle(io.throttleReadBpsDevice),
      ThrottleWriteBpsDevice: throttle(io.throttleWriteBpsDevice),
      ThrottleReadIOPSDevice: throttle(io.throttleReadIOPSDevice),
      ThrottleWriteIOPSDevice: throttle(io.throttleWriteIOPSDevice),
    },
    HugepageLimits: (r.hugepageLimits ?? []).map((h, i) => ({ Pagesize: h.pageSize, Limit: uint64ToProto(h.limit, `hugepageLimits[${i}].limit`) })),
    Network: r.network && {
      ClassID: r.network.classID ?? 0,
      Priorities: (r.network.priorities ?? []).map((p) => ({ Name: p.name, Priority: p.priority })),
    },
  });
}

function linuxToProto(l: OciLinux): oci.Linux {
  const ids = (m: OciIdMapping) => ({ ContainerID: m.containerID, HostID: m.hostID, Size: m.size });
  return oci.Linux.fromPartial({
    UIDMappings: (l.uidMappings ?? []).map(ids),
    GIDMappings: (l.gidMappings ?? []).map(ids),
    Sysctl: l.sysctl ?? {},
    Resources: l.resources && resourcesToProto(l.resources),
    CgroupsPath: l.cgroupsPath ?? '',
    Namespaces: (l.namespaces ?? []).map((n) => ({ Type: n.type, Path: n.path ?? '' })),
    Devices: (l.devices ?? []).map((d) => ({ Path: d.path, Type: d.type, Major: d.major, Minor: d.minor, FileMode: d.fileMode ?? 0, UID: d.uid ?? 0, GID: d.gid ?? 0 })),
    Seccomp: l.seccomp && seccompToProto(l.seccomp),
    RootfsPropagation: l.rootfsPropagation ?? '',
    MaskedPaths: l.maskedPaths ?? [],
    ReadonlyPaths: l.readonlyPaths ?? [],
    MountLabel: l.mountLabel ?? '',
    IntelRdt: l.intelRdt && { L3CacheSchema: l.intelRdt.l3CacheSchema ?? '' },
  });
}

function seccompToProto(s: OciSeccomp): oci.LinuxSeccomp {
  return oci.LinuxSeccomp.fromPartial({
    DefaultAction: s.defaultAction,
    Architectures: s.architectures ?? [],
    Flags: s.flags ?? [],
    Syscalls: (s.syscalls ?? []).map((c, i) => ({
      Names: c.names,
      Action: c.action,
      ErrnoRet: c.errnoRet === undefined ? undefined : { $case: 'errnoret' as const, value: c.errnoRet },
      Args: (c.args ?? []).map((a, j) => ({
        Index: a.index,
        Value: uint64ToProto(a.value, `seccomp.syscalls[${i}].args[${j}].value`),
        ValueTwo: uint64ToProto(a.valueTwo ?? 0, `seccomp.syscalls[${i}].args[${j}].valueTwo`),
        Op: a.op,
      })),
    })),
  });
}

function hooksToProto(h: OciHooks): oci.Hooks {
  const list = (hs: OciHook[] | undefined) => (hs ?? []).map((k) => ({ Path: k.path, Args: k.args ?? [], Env: k.env ?? [], Timeout: k.timeout ?? 0 }));
  return oci.Hooks.fromPartial({
    Prestart: list(h.prestart),
    Poststart: list(h.poststart),
    Poststop: list(h.poststop),
    CreateRuntime: list(h.createRuntime),
    CreateContainer: list(h.createContainer),
    StartContainer: list(h.startContainer),
  });
}
