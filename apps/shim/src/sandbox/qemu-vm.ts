import { sandboxVmConfig, VmFactory } from '@kata-ts/factory';
import { createHypervisor, selectAccelerator, type VmConfig } from '@kata-ts/hypervisor';
import { runDir } from '../run-paths';
import type { Vm, VmLauncher, VmSpec } from './vm';

/** The VM through @kata-ts/hypervisor's QEMU driver, KVM or TCG decided at run time. */
export const launchQemuVm: VmLauncher = async (spec) => {
  const q = spec.config.hypervisor;
  const choice = await selectAccelerator(q.accelerator, { qemuPath: q.path, kernel: q.kernel, cacheDir: runDir(), logger: spec.log });
  spec.log.info({ accelerator: choice.accelerator, reason: choice.reason }, 'accelerator chosen');
  const hypervisor = createHypervisor('qemu', { logger: spec.log });
  const config = sandboxVmConfig(spec.config, {
    id: spec.sandboxId,
    accelerator: choice.accelerator,
    vcpus: spec.vcpus,
    memoryMiB: spec.memoryMiB,
    sharedDir: spec.sharedDir,
    channelSocket: spec.channelSocket,
    qmpSocket: spec.qmpSocket,
    logFile: spec.logFile,
  });
  const template = spec.templatePath ? await templateFor(config, spec.templatePath, spec) : undefined;
  await hypervisor.start(template ? { ...config, template: { dir: template, role: 'restore' } } : config);
  const exited = hypervisor.wait().then(() => undefined);
  const vm: Vm = {
    pid: hypervisor.pid ?? 0,
    accelerator: `${choice.accelerator} (${choice.reason})`,
    template,
    exited,
    stop: async (timeoutMs) => {
      await hypervisor.stop({ timeoutMs }).catch(() => undefined);
    },
  };
  return vm;
};

/** The template to resume from; if none can be made, the VM boots cold, as Kata's factory falls back. */
async function templateFor(config: VmConfig, templatePath: string, spec: VmSpec): Promise<string | undefined> {
  const factory = new VmFactory({ templatePath, timeoutMs: spec.templateTimeoutMs, logger: spec.log });
  try {
    return await factory.template(config);
  } catch (err) {
    spec.log.warn({ err, templatePath }, 'no VM template: booting cold');
    return undefined;
  }
}
