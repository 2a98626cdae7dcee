import type { VmConfig } from './vm-config';

/** How the VM ended. */
export interface VmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Where the shim dials the agent. */
export type AgentChannel =
  /** QEMU's unix-socket end of the virtio-serial port: kata-proxy serves it; agent on mux `port`. */
  | { kind: 'serial'; socketPath: string; port: number }
  /** Kernel vsock (host has /dev/vhost-vsock); `uri` is for @kata-ts/vsock's createDialer. */
  | { kind: 'vsock'; cid: number; port: number; uri: string };

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
  agentChannel(): AgentChannel;
  capabilities(): HypervisorCapabilities;
}
