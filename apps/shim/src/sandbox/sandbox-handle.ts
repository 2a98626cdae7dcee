import type { AgentClient } from '@kata-ts/agent-client';
import type { KataConfig } from '@kata-ts/config';
import type { Logger } from '@kata-ts/logging';
import type { OciMount, OciSpec } from '@kata-ts/oci';
import type { types } from '@kata-ts/protocols';
import type { PhaseClock } from '../phase-clock';
import type { SandboxPaths } from '../run-paths';

export interface SandboxOptions {
  id: string;
  config: KataConfig;
  paths: SandboxPaths;
  /** The sandbox container's spec: sizes (limits) and hostname. */
  spec: OciSpec;
  log: Logger;
  /** Marks the boot's phases in the log (VM started, agent ready, ...). */
  phases: PhaseClock;
  /** Called once if the VM or the proxy goes away while the sandbox is up. */
  onDied(reason: string): void;
}

/** What the pod needs of its sandbox; `Sandbox` is the VM-backed one. */
export interface SandboxHandle {
  readonly id: string;
  /** The hypervisor's pid: what containerd is told for every process. */
  readonly pid: number;
  readonly agent: AgentClient;
  /** The rootfs from containerd's mounts, or from the spec's root.path when there are none. */
  mountRootfs(containerId: string, bundle: string, mounts: types.Mount[], rootPath?: string): Promise<string>;
  shareMounts(containerId: string, mounts: OciMount[]): Promise<OciMount[]>;
  /**
   * Before a container is created, and when its memory limit is updated (bytes; undefined or -1:
   * none): with dynamic sizing, the VM grows to hold every container's limit.
   */
  fitMemory(containerId: string, limitBytes: number | undefined): Promise<void>;
  /** The container left the sandbox: its rootfs is unmounted and its limit no longer counts. */
  unmountRootfs(containerId: string): Promise<void>;
  /** Before the sandbox's first process starts: connects a network that appeared after create. */
  connectLateNetwork(): Promise<void>;
  stop(): Promise<void>;
}

export type SandboxFactory = (options: SandboxOptions) => Promise<SandboxHandle>;
