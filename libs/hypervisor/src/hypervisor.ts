import type { AgentChannel } from '@kata-ts/agent-transport';
import type { NetworkInterface, VmConfig } from './vm-config';

/** How the VM ended. */
export interface VmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface HypervisorCapabilities {
  /** vhost-vsock is available (else the agent is reached over the serial channel). */
  vsock: boolean;
  /** virtio-9p shares (the rootfs share). */
  sharedDirs: boolean;
}

/**
 * One VM's lifecycle. `start` resolves once the VMM runs and answers its control channel (the
 * guest may still be booting: dial the agent with a timeout). Modelled on Kata's runtime-rs
 * Hypervisor trait: lifecycle (start, stop, wait), queries (agentChannel, capabilities).
 */
export interface Hypervisor {
  start(config: VmConfig): Promise<void>;
  /** Asks the VMM to quit, then kills it after `timeoutMs` (default 5000). Idempotent. */
  stop(options?: { timeoutMs?: number }): Promise<VmExit>;
  /** Resolves when the VM process exits, whoever ended it. */
  wait(): Promise<VmExit>;
  /** The VMM's host pid (what containerd is told), undefined before start. */
  readonly pid: number | undefined;
  /** What the VM was started with (accelerator, template, sockets), undefined before start. */
  readonly config: VmConfig | undefined;
  agentChannel(): AgentChannel;
  /** Adds NICs to the running VM (taps that exist in its network namespace). */
  hotplugNics(nics: NetworkInterface[]): Promise<void>;
  /** Guest RAM in MiB: the boot size plus what was hot-plugged since (0 before start). */
  memoryMiB(): number;
  /**
   * Adds at least `mib` of RAM to the running VM as one DIMM, rounded up to whole guest memory
   * blocks (the guest onlines it itself); resolves with the MiB added. NO_CAPACITY when the VM
   * has no hot-plug room (VmConfig.memoryHotplug), no free slot, or would pass its maximum.
   */
  hotplugMemory(mib: number): Promise<number>;
  capabilities(): HypervisorCapabilities;
}
