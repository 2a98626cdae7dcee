import type { types } from '@kata-ts/protocols';
import type { AgentClient } from '../agent/agent-client';
import type { OciMount } from '@kata-ts/oci';
import type { SandboxOptions } from './sandbox';

/** What the pod needs of its sandbox; `Sandbox` is the VM-backed one. */
export interface SandboxHandle {
  readonly id: string;
  /** The hypervisor's pid: what containerd is told for every process. */
  readonly pid: number;
  readonly agent: AgentClient;
  mountRootfs(containerId: string, bundle: string, mounts: types.Mount[]): Promise<string>;
  shareMounts(containerId: string, mounts: OciMount[]): Promise<OciMount[]>;
  unmountRootfs(containerId: string): Promise<void>;
  stop(): Promise<void>;
}

export type SandboxFactory = (options: Omit<SandboxOptions, 'launchVm'>) => Promise<SandboxHandle>;
