import { totalmem } from 'node:os';
import type { KataConfig } from '@kata-ts/config';
import type { AcceleratorKind, MachineType, NetworkInterface, VmConfig } from '@kata-ts/hypervisor';
import { SHARED_DIR_TAG } from '@kata-ts/guest-contract';
import { kernelParams } from './kernel-params';

export interface SandboxVmPlace {
  /** The sandbox id (QEMU -name). */
  id: string;
  accelerator: AcceleratorKind;
  vcpus: number;
  memoryMiB: number;
  /** Host directory exported with virtio-9p. */
  sharedDir: string;
  /** QEMU's virtio-serial chardev for the agent channel. */
  channelSocket: string;
  qmpSocket: string;
  /** QEMU's stderr and the guest console. */
  logFile: string;
  /** QEMU's network namespace (VmConfig.netns) and the NICs on taps in it (none: the guest has only lo). */
  netns?: VmConfig['netns'];
  nics?: NetworkInterface[];
}

/**
 * The one description of a sandbox VM from the configuration: the shim starts it, and
 * `kata-runtime factory init` makes its template from it, so both agree on the template key.
 */
export function sandboxVmConfig(config: Pick<KataConfig, 'hypervisor' | 'agent' | 'runtime'>, place: SandboxVmPlace): VmConfig {
  const q = config.hypervisor;
  return {
    id: place.id,
    qemuPath: q.path,
    kernel: q.kernel,
    initrd: q.initrd,
    image: q.image || undefined,
    machineType: q.machineType as MachineType,
    accelerator: place.accelerator,
    vcpus: place.vcpus,
    memoryMiB: place.memoryMiB,
    // Static sizing never grows the VM; dynamic sizing hot-plugs each container's limit.
    memoryHotplug: config.runtime.staticSandboxResourceMgmt ? undefined : { slots: q.memorySlots, maxMiB: maxMemoryMiB(q.defaultMaxMemory, place.memoryMiB) },
    kernelParams: kernelParams(config).split(/\s+/).filter(Boolean),
    tcgTranslationCacheMiB: q.tcgTbSize,
    reclaimFreedMemory: q.reclaimGuestFreedMemory,
    agentSocket: place.channelSocket,
    shares: [{ id: 'kata-shared', hostPath: place.sharedDir, mountTag: SHARED_DIR_TAG }],
    qmpSocket: place.qmpSocket,
    consoleLog: place.logFile,
    netns: place.netns,
    nics: place.nics,
  };
}

/** Kata's rule for `default_maxmemory`: unset (0) or more than the host has is the host's memory. */
function maxMemoryMiB(configured: number, bootMiB: number): number {
  const hostMiB = Math.floor(totalmem() / 2 ** 20);
  return Math.max(bootMiB, configured > 0 && configured < hostMiB ? configured : hostMiB);
}
