import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QemuHypervisor, type AcceleratorKind, type VmConfig, type VmTemplate } from '@kata-ts/hypervisor';

export interface BootedGuest {
  vm: QemuHypervisor;
  dir: string;
  consoleLog: string;
  /** performance.now() just before QEMU was spawned. */
  startedAt: number;
  console(): string;
  /** Stops QEMU (QMP quit, then SIGKILL) and removes the sockets and logs. Idempotent. */
  destroy(): Promise<void>;
}

export interface BootOptions {
  kernel: string;
  initrd: string;
  accelerator: AcceleratorKind;
  memoryMiB?: number;
  vcpus?: number;
  /** Resume from (`restore`) or become (`save`) a VM template, as @kata-ts/factory does. */
  template?: VmTemplate;
  /** Appended to the shim's kernel command line (e.g. to trace the boot). */
  kernelParams?: string[];
}

/** The VmConfig bootGuest starts: the shim's flags, sockets and console log in `dir`. */
export function bootConfig(options: BootOptions, dir: string): VmConfig {
  return {
    id: 'boot-check',
    kernel: options.kernel,
    initrd: options.initrd,
    accelerator: options.accelerator,
    vcpus: options.vcpus ?? 1,
    memoryMiB: options.memoryMiB ?? 512,
    agentSocket: join(dir, 'agent.sock'),
    qmpSocket: join(dir, 'qmp.sock'),
    consoleLog: join(dir, 'console.log'),
    template: options.template,
    kernelParams: options.kernelParams,
  };
}

/** Boots kernel + initrd the way the shim does (same library, same flags). */
export async function bootGuest(options: BootOptions): Promise<BootedGuest> {
  const dir = mkdtempSync(join(tmpdir(), 'kata-boot-'));
  const config = bootConfig(options, dir);
  const consoleLog = config.consoleLog!;
  const vm = new QemuHypervisor();
  const startedAt = performance.now();
  let destroyed = false;
  const guest: BootedGuest = {
    vm,
    dir,
    consoleLog,
    startedAt,
    console: () => {
      try {
        return readFileSync(consoleLog, 'utf8');
      } catch {
        return '';
      }
    },
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      if (vm.pid !== undefined) await vm.stop({ timeoutMs: 3000 }).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await vm.start(config);
  } catch (err) {
    await guest.destroy();
    throw err;
  }
  return guest;
}

/** Waits until the console shows `pattern` or the time is up. */
export async function waitForConsole(guest: BootedGuest, pattern: RegExp, timeoutMs: number): Promise<string | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const match = pattern.exec(guest.console());
    if (match) return match[0];
    await sleep(50);
  }
  return undefined;
}
