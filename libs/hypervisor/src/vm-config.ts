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

/**
 * A guest NIC on a tap device that already exists in the VM's network namespace (the shim made it
 * and tied it to the pod's interface): QEMU opens it by name, the guest sees a virtio-net device
 * with the pod interface's MAC.
 */
export interface NetworkInterface {
  /** QEMU's netdev/device id. */
  id: string;
  tapName: string;
  /** The MAC the guest NIC gets: the pod interface's, so the pod's peers see no change. */
  mac: string;
}

/** Everything QEMU needs for one sandbox VM. Paths are absolute. */
export interface VmConfig {
  /** Names the VM (QEMU -name) and its log lines; the sandbox id. */
  id: string;
  /** Default /usr/bin/qemu-system-x86_64. */
  qemuPath?: string;
  /** vmlinux.container (booted through PVH: fastest) or vmlinuz.container. */
  kernel: string;
  /** The whole guest, or with `image` the small initrd that mounts it (PID 1 and modules). */
  initrd: string;
  /**
   * Kata's `image`: the guest's root as a read-only ext4 image behind a pfn info block (size a
   * multiple of 2 MiB), given to the guest as a DAX nvdimm. Every VM maps the one file read-only
   * and shared, so its pages are the host's page cache, counted once however many VMs run.
   */
  image?: string;
  machineType?: MachineType;
  accelerator: AcceleratorKind;
  vcpus: number;
  /** Guest RAM at boot. */
  memoryMiB: number;
  /**
   * Room for memory hot-plug (Kata's `memory_slots` and `default_maxmemory`): QEMU reserves `slots`
   * DIMM slots and address space up to `maxMiB` of guest RAM in all, which hotplugMemory() fills.
   * Without it the VM keeps its boot size.
   */
  memoryHotplug?: { slots: number; maxMiB: number };
  /** Appended after guestKernelParams(). */
  kernelParams?: string[];
  /** TCG translation cache in MiB (QEMU's default is 1 GiB per VM). Default 64. */
  tcgTranslationCacheMiB?: number;
  /**
   * A virtio-balloon with free page reporting: the guest hands back the RAM it frees (Kata's
   * `reclaim_guest_freed_memory`). Ignored for a template and its clones: a clone's RAM is a
   * private mapping of the template's file, and QEMU 7.2 discards a reported page by punching it
   * out of that file, under every other clone.
   */
  reclaimFreedMemory?: boolean;
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
   * Kata's VM templating. `save`: guest RAM is the shared file `<dir>/memory`, so saveTemplate()
   * writes only the device state (`<dir>/state`). `restore`: the VM resumes from `<dir>` instead
   * of booting, its RAM a private copy-on-write mapping of the template's memory (pages stay
   * shared with every other clone until written). The rest of the config must match the
   * template's (QEMU checks devices and sizes); sockets, logs and shared-dir paths may differ.
   */
  template?: VmTemplate;
  /**
   * The network namespace QEMU runs in, as Kata starts its hypervisor inside the pod's, so it
   * opens the taps there: the pod's (`{ path: '/var/run/netns/cni-…' }`), or `new`, one of its own
   * (`/proc/<pid>/ns/net`; it ends with QEMU). Default: the shim's. Sockets and shares are paths,
   * which a network namespace does not change.
   */
  netns?: { path: string } | 'new';
  /** NICs on taps in `netns`. A clone restored from a template gets them hot-plugged after resume. */
  nics?: NetworkInterface[];
  /** Extra QEMU arguments, last. */
  extraArgs?: string[];
}

export interface VmTemplate {
  dir: string;
  role: 'save' | 'restore';
}

/** Files of a template directory. */
export const TEMPLATE_MEMORY_FILE = 'memory';
export const TEMPLATE_STATE_FILE = 'state';
