import type { oci } from '@kata-ts/protocols';
import type { OciHook, OciHooks, OciLinux, OciLinuxResources, OciProcess, OciSeccomp, OciSpec, OciThrottleDevice } from './spec';
import { prune } from './prune';
import { uint64FromProto } from './uint64';

/*
 * Kata's oci.proto (Go-style field names, proto3 zero values) back to runtime-spec JSON, what the
 * agent hands crun. proto3 cannot tell "unset" from 0 or [], so zeros and empty lists are left
 * out, as Go's `omitempty` leaves them out of the config.json containerd wrote: a spec from
 * containerd comes back as it was.
 */

const nonZero = (n: number | undefined): number | undefined => (n ? n : undefined);
const nonEmpty = <T>(a: T[] | undefined): T[] | undefined => (a && a.length ? a : undefined);
const text = (s: string | undefined): string | undefined => (s ? s : undefined);
const record = (r: Record<string, string>): Record<string, string> | undefined => (Object.keys(r).length ? r : undefined);

export function specFromProto(p: oci.Spec): OciSpec {
  return prune({
    ociVersion: p.Version || '1.0.2',
    process: p.Process && processFromProto(p.Process),
    root: p.Root && { path: p.Root.Path, readonly: p.Root.Readonly || undefined },
    hostname: text(p.Hostname),
    mounts: nonEmpty(p.Mounts.map((m) => ({ destination: m.destination, type: text(m.type), source: text(m.source), options: nonEmpty(m.options) }))),
    hooks: p.Hooks && hooksFromProto(p.Hooks),
    annotations: record(p.Annotations),
    linux: p.Linux && linuxFromProto(p.Linux),
  });
}

export function processFromProto(p: oci.Process): OciProcess {
  const caps = p.Capabilities;
  return prune({
    terminal: p.Terminal || undefined,
    consoleSize: p.Terminal && p.ConsoleSize ? { height: p.ConsoleSize.Height, width: p.ConsoleSize.Width } : undefined,
    user: { uid: p.User?.UID ?? 0, gid: p.User?.GID ?? 0, additionalGids: nonEmpty(p.User?.AdditionalGids), username: text(p.User?.Username) },
    args: nonEmpty(p.Args),
    env: nonEmpty(p.Env),
    cwd: p.Cwd,
    capabilities: caps && {
      bounding: nonEmpty(caps.Bounding),
      effective: nonEmpty(caps.Effective),
      inheritable: nonEmpty(caps.Inheritable),
      permitted: nonEmpty(caps.Permitted),
      ambient: nonEmpty(caps.Ambient),
    },
    rlimits: nonEmpty(p.Rlimits.map((r) => ({ type: r.Type, hard: uint64FromProto(r.Hard), soft: uint64FromProto(r.Soft) }))),
    noNewPrivileges: p.NoNewPrivileges || undefined,
    apparmorProfile: text(p.ApparmorProfile),
    oomScoreAdj: nonZero(p.OOMScoreAdj),
    selinuxLabel: text(p.SelinuxLabel),
  });
}

export function resourcesFromProto(r: oci.LinuxResources): OciLinuxResources {
  const throttle = (ds: oci.LinuxThrottleDevice[]): OciThrottleDevice[] | undefined =>
    nonEmpty(ds.map((d) => ({ major: d.Major, minor: d.Minor, rate: d.Rate })));
  const io = r.BlockIO;
  // Type "a" (or none) means every device: a major/minor there is noise from the sender.
  const allDevices = (d: oci.LinuxDeviceCgroup) => d.Type === 'a' || d.Type === '';
  return prune({
    devices: nonEmpty(
      r.Devices.map((d) => ({
        allow: d.Allow,
        type: text(d.Type),
        major: d.Major >= 0 && !allDevices(d) ? d.Major : undefined,
        minor: d.Minor >= 0 && !allDevices(d) ? d.Minor : undefined,
        access: text(d.Access),
      })),
    ),
    memory: r.Memory && {
      limit: nonZero(r.Memory.Limit),
      reservation: nonZero(r.Memory.Reservation),
      swap: nonZero(r.Memory.Swap),
      kernel: nonZero(r.Memory.Kernel),
      kernelTCP: nonZero(r.Memory.KernelTCP),
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
    blockIO: io && {
      weight: nonZero(io.Weight),
      leafWeight: nonZero(io.LeafWeight),
      weightDevice: nonEmpty(io.WeightDevice.map((d) => ({ major: d.Major, minor: d.Minor, weight: nonZero(d.Weight), leafWeight: nonZero(d.LeafWeight) }))),
      throttleReadBpsDevice: throttle(io.ThrottleReadBpsDevice),
      throttleWriteBpsDevice: throttle(io.ThrottleWriteBpsDevice),
      throttleReadIOPSDevice: throttle(io.ThrottleReadIOPSDevice),
      throttleWriteIOPSDevice: throttle(io.ThrottleWriteIOPSDevice),
    },
    hugepageLimits: nonEmpty(r.HugepageLimits.map((h) => ({ pageSize: h.Pagesize, limit: uint64FromProto(h.Limit) }))),
    network: r.Network && {
      classID: nonZero(r.Network.ClassID),
      priorities: nonEmpty(r.Network.Priorities.map((p) => ({ name: p.Name, priority: p.Priority }))),
    },
  });
}

function linuxFromProto(l: oci.Linux): OciLinux {
  return prune({
    uidMappings: nonEmpty(l.UIDMappings.map((m) => ({ containerID: m.ContainerID, hostID: m.HostID, size: m.Size }))),
    gidMappings: nonEmpty(l.GIDMappings.map((m) => ({ containerID: m.ContainerID, hostID: m.HostID, size: m.Size }))),
    sysctl: record(l.Sysctl),
    resources: l.Resources && resourcesFromProto(l.Resources),
    cgroupsPath: text(l.CgroupsPath),
    namespaces: nonEmpty(l.Namespaces.map((n) => ({ type: n.Type, path: text(n.Path) }))),
    devices: nonEmpty(
      l.Devices.map((d) => ({ path: d.Path, type: d.Type, major: d.Major, minor: d.Minor, fileMode: nonZero(d.FileMode), uid: d.UID, gid: d.GID })),
    ),
    seccomp: l.Seccomp && seccompFromProto(l.Seccomp),
    rootfsPropagation: text(l.RootfsPropagation),
    maskedPaths: nonEmpty(l.MaskedPaths),
    readonlyPaths: nonEmpty(l.ReadonlyPaths),
    mountLabel: text(l.MountLabel),
    intelRdt: l.IntelRdt && { l3CacheSchema: text(l.IntelRdt.L3CacheSchema) },
  });
}

function seccompFromProto(s: oci.LinuxSeccomp): OciSeccomp {
  return {
    defaultAction: s.DefaultAction,
    architectures: nonEmpty(s.Architectures),
    flags: nonEmpty(s.Flags),
    syscalls: nonEmpty(
      s.Syscalls.map((c) => ({
        names: c.Names,
        action: c.Action,
        errnoRet: c.ErrnoRet?.value,
        args: nonEmpty(
          c.Args.map((a) => {
            const valueTwo = uint64FromProto(a.ValueTwo);
            return { index: a.Index, value: uint64FromProto(a.Value), valueTwo: valueTwo ? valueTwo : undefined, op: a.Op };
          }),
        ),
      })),
    ),
  };
}

function hooksFromProto(h: oci.Hooks): OciHooks {
  const list = (hs: oci.Hook[]): OciHook[] | undefined =>
    nonEmpty(hs.map((k) => ({ path: k.Path, args: nonEmpty(k.Args), env: nonEmpty(k.Env), timeout: nonZero(k.Timeout) })));
  return {
    prestart: list(h.Prestart),
    poststart: list(h.Poststart),
    poststop: list(h.Poststop),
    createRuntime: list(h.CreateRuntime),
    createContainer: list(h.CreateContainer),
    startContainer: list(h.StartContainer),
  };
}
