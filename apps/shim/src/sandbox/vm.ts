import type { Logger } from '@kata-ts/logging';
import type { KataConfig } from '@kata-ts/config';

export interface VmSpec {
  sandboxId: string;
  /** What the VM is made of: [hypervisor.qemu], and [agent.kata] for the kernel command line. */
  config: Pick<KataConfig, 'hypervisor' | 'agent'>;
  vcpus: number;
  memoryMiB: number;
  /** Host directory exported with virtio-9p, mount_tag kataShared. */
  sharedDir: string;
  /** Unix socket QEMU serves for the agent's virtio-serial port (agent.channel.0). */
  channelSocket: string;
  qmpSocket: string;
  /**
   * Resume from a VM template under this path (Kata's [factory] enable_template), made first if
   * missing; the VM boots cold if no template can be made. Only for VMs of the default size.
   */
  templatePath?: string;
  /** For making a template: how long its cold boot may take until the agent answers. */
  templateTimeoutMs?: number;
  /** QEMU's own stderr and the guest console. */
  logFile: string;
  debug: boolean;
  log: Logger;
}

/** A running VM, as the sandbox needs it; a small hypervisor interface other VMMs could implement. */
export interface Vm {
  readonly pid: number;
  /** How the accelerator was chosen (KVM or TCG), for the logs. */
  readonly accelerator: string;
  /** The template it resumed from; undefined when it booted. */
  readonly template: string | undefined;
  /** Resolves when the VM process has exited, for any reason. */
  readonly exited: Promise<void>;
  /** Asks the VM to quit; kills it after `timeoutMs`. Idempotent. */
  stop(timeoutMs: number): Promise<void>;
}

export type VmLauncher = (spec: VmSpec) => Promise<Vm>;
