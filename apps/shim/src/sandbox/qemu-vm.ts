import { createHypervisor, selectAccelerator, type MachineType } from '@kata-ts/hypervisor';
import { runDir } from '../run-paths';
import type { Vm, VmLauncher } from './vm';

/** The VM through @kata-ts/hypervisor's QEMU driver, KVM or TCG decided at run time. */
export const launchQemuVm: VmLauncher = async (spec) => {
  const q = spec.hypervisor;
  const choice = await selectAccelerator(q.accelerator, { qemuPath: q.path, kernel: q.kernel, cacheDir: runDir(), logger: spec.log });
  spec.log.info({ accelerator: choice.accelerator, reason: choice.reason }, 'accelerator chosen');
  const hypervisor = createHypervisor('qemu', { logger: spec.log });
  await hypervisor.start({
    id: spec.sandboxId,
    qemuPath: q.path,
    kernel: q.kernel,
    initrd: q.initrd || q.image,
    machineType: q.machineType as MachineType,
    accelerator: choice.accelerator,
    vcpus: spec.vcpus,
    memoryMiB: spec.memoryMiB,
    kernelParams: spec.kernelParams.split(/\s+/).filter(Boolean),
    tcgTranslationCacheMiB: q.tcgTbSize,
    agentSocket: spec.channelSocket,
    shares: [{ id: 'kata-shared', hostPath: spec.sharedDir, mountTag: 'kataShared' }],
    qmpSocket: spec.qmpSocket,
    consoleLog: spec.logFile,
  });
  const exited = hypervisor.wait().then(() => undefined);
  const vm: Vm = {
    pid: hypervisor.pid ?? 0,
    accelerator: `${choice.accelerator} (${choice.reason})`,
    exited,
    stop: async (timeoutMs) => {
      await hypervisor.stop({ timeoutMs }).catch(() => undefined);
    },
  };
  return vm;
};
