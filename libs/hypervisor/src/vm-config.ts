export type AcceleratorKind = 'kvm' | 'tcg';
/** pc boots fastest here (fewer devices to probe than q35); microvm has no PCI for our devices. */
export type MachineType = 'pc' | 'q35';

/** A host directory the guest mounts with virtio-9p (`mount -t 9p -o trans=virtio <mountTag>`). */
export interface SharedDir {
  id: string;
  hostPath: string;
  /** Kata's rootfs share is `kataShared`. */
  mountTag: string;
  readonly?: boolean;
}

/** Everything QEMU needs for one sandbox VM. Paths are absolute. */
export interface VmConfig {
  /** Names the VM (QEMU -name) and its log lines; the sandbox id. */
  id: string;
  /** Default /usr/bin/qemu-system-x86_64. */
  qemuPath?: string;
  /** vmlinux.container (booted through PVH: fastest) or vmlinuz.container. */
  kernel: string;
  initrd: string;
  machineType?: MachineType;
  accelerator: AcceleratorKind;
  vcpus: number;
  memoryMiB: number;
  /** Appended after guestKernelParams(). */
  kernelParams?: string[];
  /** TCG translation cache in MiB (QEMU's default is 1 GiB per VM). Default 64. */
  tcgTranslationCacheMiB?: number;
  /** Unix socket QEMU listens on for the agent's virtio-serial port `agent.channel.0`. */
  agentSocket: string;
  /** Kernel vsock through /dev/vhost-vsock, when the host has it. */
  vsock?: { guestCid: number };
  shares?: SharedDir[];
  /** Unix socket QEMU listens on for QMP. */
  qmpSocket: string;
  /** The guest's serial console goes here (append); default: discarded. */
  consoleLog?: string;
  /**
   * Start from a template saved by QemuHypervisor.saveTemplate() (Kata's VM templating) instead
   * of booting: the guest resumes with the agent already running. The rest of the config must
   * match the template's (QEMU checks memory and devices); sockets and logs may differ.
   */
  restoreFrom?: string;
  /** Extra QEMU arguments, last. */
  extraArgs?: string[];
}
