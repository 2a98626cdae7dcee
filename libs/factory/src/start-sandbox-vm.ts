import type { KataConfig } from '@kata-ts/config';
import { createHypervisor, selectAccelerator, type Hypervisor, type VmConfig } from '@kata-ts/hypervisor';
import type { Logger } from '@kata-ts/logging';
import { sandboxVmConfig, type SandboxVmPlace } from './sandbox-vm-config';
import { VmFactory, type TemplateMaking } from './vm-factory';

export interface StartSandboxVmOptions {
  /** Where the KVM verdict is cached (once per host boot). */
  cacheDir: string;
  /** How long making a template may take: its cold boot until the agent answers, then the save. */
  templateTimeoutMs: number;
  log: Logger;
  /** QEMU's pid, the moment it is spawned (see the hypervisor's `onSpawn`). */
  onSpawn?: (pid: number) => void;
  /** Before a template is made (its QEMU spawned): see VmFactoryOptions.onMaking. */
  onTemplateMaking?: (making: TemplateMaking) => void;
}

/**
 * Kata's factory.GetVM: a running sandbox VM, KVM or TCG decided at run time, resumed from a VM
 * template when `[factory] enable_template` is on and the VM has the default size (templates are
 * made at that size), else booted cold, as Kata's factory falls back when no template can be had.
 */
export async function startSandboxVm(
  config: Pick<KataConfig, 'hypervisor' | 'agent' | 'factory' | 'runtime'>,
  place: Omit<SandboxVmPlace, 'accelerator'>,
  options: StartSandboxVmOptions,
): Promise<Hypervisor> {
  const q = config.hypervisor;
  const { log } = options;
  const choice = await selectAccelerator(q.accelerator, { qemuPath: q.path, kernel: q.kernel, cacheDir: options.cacheDir, logger: log });
  log.info({ accelerator: choice.accelerator, reason: choice.reason }, 'accelerator chosen');
  const vmConfig = sandboxVmConfig(config, { ...place, accelerator: choice.accelerator });
  const template = await templateFor(config, vmConfig, options);
  const hypervisor = createHypervisor('qemu', { logger: log, onSpawn: options.onSpawn });
  await hypervisor.start(template ? { ...vmConfig, template: { dir: template, role: 'restore' } } : vmConfig);
  return hypervisor;
}

async function templateFor(config: Pick<KataConfig, 'hypervisor' | 'factory'>, vmConfig: VmConfig, options: StartSandboxVmOptions): Promise<string | undefined> {
  if (!config.factory.enableTemplate) return undefined;
  const { defaultVcpus, defaultMemory } = config.hypervisor;
  const { vcpus, memoryMiB } = vmConfig;
  if (vcpus !== defaultVcpus || memoryMiB !== defaultMemory) {
    options.log.info({ vcpus, memoryMiB, defaultVcpus, defaultMemory }, 'VM larger than the template size: booting cold');
    return undefined;
  }
  const factory = new VmFactory({ templatePath: config.factory.templatePath, timeoutMs: options.templateTimeoutMs, logger: options.log, onMaking: options.onTemplateMaking });
  try {
    // A template is one pod's VM before it has a network: clones get their NICs hot-plugged.
    return await factory.template({ ...vmConfig, netns: undefined, nics: undefined });
  } catch (err) {
    options.log.warn({ err, templatePath: config.factory.templatePath }, 'no VM template: booting cold');
    return undefined;
  }
}
