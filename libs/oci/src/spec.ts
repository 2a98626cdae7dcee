/**
 * The OCI runtime-spec 1.x config.json (Linux), as far as Kata's oci.proto carries it. Field
 * names and optionality are the runtime-spec's (Go's `omitempty`/pointer fields are optional
 * here). Fields the proto cannot carry (domainname, user.umask, resources.unified, ...) are
 * listed where they exist so a parsed config.json types, but never reach the guest.
 */

/** A uint64 that may exceed 2^53 (RLIMIT_INFINITY is 2^64-1): a bigint when it does (see parseOciJson). */
export type Uint64 = number | bigint;

export interface OciUser {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
  username?: string;
}

export type OciCapabilitySet = 'bounding' | 'effective' | 'inheritable' | 'permitted' | 'ambient';

export interface OciRlimit {
  type: string;
  hard: Uint64;
  soft: Uint64;
}

export interface OciProcess {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: OciUser;
  args?: string[];
  env?: string[];
  cwd: string;
  capabilities?: Partial<Record<OciCapabilitySet, string[]>>;
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  oomScoreAdj?: number;
  selinuxLabel?: string;
}

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export interface OciHook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

export type OciHookPoint = 'prestart' | 'poststart' | 'poststop' | 'createRuntime' | 'createContainer' | 'startContainer';

export type OciHooks = Partial<Record<OciHookPoint, OciHook[]>>;

export interface OciNamespace {
  type: string;
  path?: string;
}

export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface OciDevice {
  path: string;
  type: string;
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface OciDeviceCgroup {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}

export interface OciMemory {
  limit?: number;
  reservation?: number;
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
}

export interface OciCpu {
  shares?: number;
  quota?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
}

export interface OciWeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}

export interface OciThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface OciBlockIo {
  weight?: number;
  leafWeight?: number;
  weightDevice?: OciWeightDevice[];
  throttleReadBpsDevice?: OciThrottleDevice[];
  throttleWriteBpsDevice?: OciThrottleDevice[];
  throttleReadIOPSDevice?: OciThrottleDevice[];
  throttleWriteIOPSDevice?: OciThrottleDevice[];
}

export interface OciNetwork {
  classID?: number;
  priorities?: { name: string; priority: number }[];
}

export interface OciLinuxResources {
  devices?: OciDeviceCgroup[];
  memory?: OciMemory;
  cpu?: OciCpu;
  pids?: { limit: number };
  blockIO?: OciBlockIo;
  hugepageLimits?: { pageSize: string; limit: Uint64 }[];
  network?: OciNetwork;
  /** cgroup v2 files; not in Kata's oci.proto. */
  unified?: Record<string, string>;
}

export interface OciSeccompArg {
  index: number;
  value: Uint64;
  valueTwo?: Uint64;
  op: string;
}

export interface OciSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

export interface OciSeccomp {
  defaultAction: string;
  /** Not in Kata's oci.proto. */
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  syscalls?: OciSyscall[];
}

export interface OciLinux {
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
  sysctl?: Record<string, string>;
  resources?: OciLinuxResources;
  cgroupsPath?: string;
  namespaces?: OciNamespace[];
  devices?: OciDevice[];
  seccomp?: OciSeccomp;
  rootfsPropagation?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  intelRdt?: { l3CacheSchema?: string };
}

export interface OciSpec {
  ociVersion: string;
  process?: OciProcess;
  root?: { path: string; readonly?: boolean };
  hostname?: string;
  /** Not in Kata's oci.proto. */
  domainname?: string;
  mounts?: OciMount[];
  hooks?: OciHooks;
  annotations?: Record<string, string>;
  linux?: OciLinux;
}
