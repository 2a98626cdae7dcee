/** Which QEMU accelerator to use: `auto` tries KVM at run time and falls back to TCG. */
export type Accelerator = 'auto' | 'kvm' | 'tcg';
export type SharedFs = 'virtio-9p' | 'virtio-fs' | 'none';

export interface QemuConfig {
  path: string;
  kernel: string;
  /** The whole guest, or with `image` the initrd that mounts it (always set: validated). */
  initrd: string;
  /** Kata's `image`: the guest's root on a read-only DAX nvdimm; '' when not used. */
  image: string;
  machineType: string;
  kernelParams: string;
  defaultVcpus: number;
  defaultMaxVcpus: number;
  /** MiB. */
  defaultMemory: number;
  /** MiB a VM may grow to by memory hot-plug; 0: the host's memory. */
  defaultMaxMemory: number;
  /** DIMM slots for memory hot-plug (one per hot-plugged container limit). */
  memorySlots: number;
  sharedFs: SharedFs;
  virtioFsDaemon: string;
  enableDebug: boolean;
  /** Our extension: auto | kvm | tcg. */
  accelerator: Accelerator;
  /** Our extension: TCG translation-cache size in MiB (QEMU's default of 1 GiB dominates a pod). */
  tcgTbSize: number;
  /** Kata's: a virtio-balloon with free page reporting returns the RAM the guest frees to the host (VMs that boot cold; not template clones). */
  reclaimGuestFreedMemory: boolean;
  /** Regexes of `io.katacontainers.config.hypervisor.*` annotation names pods may set. */
  enableAnnotations: string[];
}

export interface ProxyConfig {
  /** kata-proxy executable (multiplexes agent streams over virtio-serial in a process per pod); '': the shim does it itself. */
  path: string;
  enableDebug: boolean;
}

export interface AgentConfig {
  enableDebug: boolean;
  debugConsoleEnabled: boolean;
  /** Seconds to wait for the agent to answer after the VM starts. */
  dialTimeout: number;
  kernelModules: string[];
}

/** Kata's [factory]: VM templating (new sandboxes resume from a saved VM instead of booting). */
export interface FactoryConfig {
  enableTemplate: boolean;
  /** One template per VM configuration lives under it; tmpfs, as its memory file is guest RAM. */
  templatePath: string;
}

export interface RuntimeConfig {
  enableDebug: boolean;
  internetworkingModel: 'tcfilter' | 'macvtap' | 'none';
  disableGuestSeccomp: boolean;
  sandboxCgroupOnly: boolean;
  /**
   * Kata's: true sizes the VM once, at boot, from the sandbox container's limits; false boots it
   * at the defaults and hot-plugs each container's memory limit as the container is created or
   * updated (Kata's default for QEMU).
   */
  staticSandboxResourceMgmt: boolean;
  /** Seconds. */
  createContainerTimeout: number;
}

/** Where the configuration came from and why that file was chosen (kata-runtime env prints it). */
export interface ConfigSource {
  path: string;
  reason: string;
  dropIns: string[];
}

export interface KataConfig {
  hypervisor: QemuConfig;
  proxy: ProxyConfig;
  agent: AgentConfig;
  factory: FactoryConfig;
  runtime: RuntimeConfig;
  source: ConfigSource;
}
