import { readFileSync, writeFileSync } from 'node:fs';
import type { AgentChannel } from '@kata-ts/agent-transport';
import type { TemplateMaking } from '@kata-ts/factory';
import type { NetworkRecord } from '../network/sandbox-network';

/** What `delete` (run after the shim died) needs to find and clean up a sandbox. */
export interface SandboxState {
  sandboxId: string;
  shimPid: number;
  vmPid: number;
  proxyPid: number;
  /** Containers with rootfs mounts: id → bundle. */
  containers: Record<string, string>;
  /** The configuration file the sandbox was started with (`kata-runtime exec` checks its debug console setting). */
  configPath?: string;
  /** Where the agent is reached; `kata-runtime exec` dials the debug console port on it. */
  agentChannel?: AgentChannel;
  /** The taps the shim made in the pod's network namespace. */
  network?: NetworkRecord;
  /** A VM template this shim started making (the first sandbox with enable_template): its QEMU outlives a killed shim. */
  templateMaking?: TemplateMaking;
}

export function writeSandboxState(path: string, state: SandboxState): void {
  writeFileSync(path, JSON.stringify(state));
}

export function readSandboxState(path: string): SandboxState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SandboxState;
  } catch {
    return undefined;
  }
}
