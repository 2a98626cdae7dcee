import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, freemem, release, totalmem } from 'node:os';
import type { KataConfig } from '@kata-ts/config';
import type { VersionInfo } from '../version-info';

export interface HostFacts {
  kernel: string;
  architecture: string;
  cpuModel: string;
  cpus: number;
  memTotalKiB: number;
  memFreeKiB: number;
  distro: { name: string; version: string };
  kvmDevice: boolean;
  vhostVsockDevice: boolean;
}

/** `kata-runtime env`: Kata's kata-env layout (Meta, Runtime, Hypervisor, Kernel, Initrd|Image, Agent, Host). */
export function effectiveEnv(
  config: KataConfig,
  version: VersionInfo,
  runtimePath: string,
  host: HostFacts,
  hypervisorVersion: string,
): Record<string, unknown> {
  const q = config.hypervisor;
  return {
    Meta: { Version: '1.0.26' },
    Runtime: {
      Path: runtimePath,
      Debug: config.runtime.enableDebug,
      DisableGuestSeccomp: config.runtime.disableGuestSeccomp,
      SandboxCgroupOnly: config.runtime.sandboxCgroupOnly,
      StaticSandboxResourceMgmt: config.runtime.staticSandboxResourceMgmt,
      InterNetworkModel: config.runtime.internetworkingModel,
      CreateContainerTimeout: config.runtime.createContainerTimeout,
      Version: { Semver: version.version, Commit: version.commit, OCI: version.ociSpec },
      Config: { Path: config.source.path, Reason: config.source.reason, DropIns: config.source.dropIns },
    },
    Hypervisor: {
      Type: 'qemu',
      Path: q.path,
      Version: hypervisorVersion,
      MachineType: q.machineType,
      Accelerator: q.accelerator,
      TcgTbSizeMiB: q.tcgTbSize,
      SharedFS: q.sharedFs,
      DefaultVCPUs: q.defaultVcpus,
      DefaultMaxVCPUs: q.defaultMaxVcpus,
      DefaultMemoryMiB: q.defaultMemory,
      DefaultMaxMemoryMiB: q.defaultMaxMemory,
      MemorySlots: q.memorySlots,
      EnableAnnotations: q.enableAnnotations,
      Debug: q.enableDebug,
    },
    Kernel: { Path: q.kernel, Parameters: q.kernelParams },
    Initrd: { Path: q.initrd },
    ...(q.image ? { Image: { Path: q.image } } : {}),
    Proxy: { Path: config.proxy.path, Debug: config.proxy.enableDebug },
    Agent: {
      Debug: config.agent.enableDebug,
      DebugConsoleEnabled: config.agent.debugConsoleEnabled,
      DialTimeoutSeconds: config.agent.dialTimeout,
      KernelModules: config.agent.kernelModules,
    },
    Host: {
      Kernel: host.kernel,
      Architecture: host.architecture,
      KVMDevice: host.kvmDevice,
      SupportVSocks: host.vhostVsockDevice,
      Distro: { Name: host.distro.name, Version: host.distro.version },
      CPU: { Model: host.cpuModel, CPUs: host.cpus },
      Memory: { TotalKiB: host.memTotalKiB, FreeKiB: host.memFreeKiB },
    },
  };
}

export function hostFacts(kvmDevice: boolean, vhostVsockDevice: boolean): HostFacts {
  const cpuList = cpus();
  return {
    kernel: release(),
    // Kata (Go) names architectures as GOARCH does.
    architecture: arch() === 'x64' ? 'amd64' : arch(),
    cpuModel: cpuList[0]?.model ?? 'unknown',
    cpus: cpuList.length,
    memTotalKiB: Math.round(totalmem() / 1024),
    memFreeKiB: Math.round(freemem() / 1024),
    distro: osRelease(),
    kvmDevice,
    vhostVsockDevice,
  };
}

function osRelease(): { name: string; version: string } {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const field = (key: string): string => new RegExp(`^${key}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? '';
    return { name: field('NAME'), version: field('VERSION_ID') };
  } catch {
    return { name: 'unknown', version: 'unknown' };
  }
}

/** The first line of `<qemu> -version`, or why there is none. */
export function qemuVersion(path: string): string {
  try {
    return execFileSync(path, ['-version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]?.trim() ?? '';
  } catch (err) {
    return `unknown (${(err as Error).message.split('\n')[0]})`;
  }
}
