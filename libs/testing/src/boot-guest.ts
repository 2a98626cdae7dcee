import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAgent, type AgentClient } from '@kata-ts/agent-client';
import { loadConfigFile, renderConfigTemplate } from '@kata-ts/config';
import { sandboxVmConfig } from '@kata-ts/factory';
import { QemuHypervisor, selectAccelerator, type AcceleratorKind, type VmConfig, type VmTemplate } from '@kata-ts/hypervisor';
import { createLogger } from '@kata-ts/logging';
import { GUEST_IMAGE } from './repo';

export interface BootOptions {
  /** Default: build/guest's vmlinux.container. */
  kernel?: string;
  /**
   * Default: the installed boot, build/guest's kata-containers.img mounted by its
   * kata-containers-image-initrd.img. An initrd given without an image is a whole guest.
   */
  initrd?: string;
  /** The root image (Kata's `image`); '' for none. */
  image?: string;
  /** Default: KVM when a guest runs under it here, else TCG (the installed `accelerator = "auto"`). */
  accelerator?: AcceleratorKind;
  /** Default 1. */
  vcpus?: number;
  /** Default 512 MiB, a quarter of the installed default: several test VMs (and templates on tmpfs) share the machine. */
  memoryMiB?: number;
  /** Resume from (`restore`) or become (`save`) a VM template, as @kata-ts/factory does. */
  template?: VmTemplate;
  /** Appended to the configured kernel command line (e.g. `agent.log=warn`, `initcall_debug`). */
  kernelParams?: string[];
  /** The host directory the guest mounts as kataShared (default: an empty one beside the sockets). */
  sharedDir?: string;
}

export interface BootedGuest {
  vm: QemuHypervisor;
  dir: string;
  consoleLog: string;
  /** performance.now() just before QEMU was spawned. */
  startedAt: number;
  console(): string;
  /**
   * The agent through connectAgent on the VM's own channel (the shim's way in, minus kata-proxy),
   * retried while the guest boots. Closing the client releases the channel.
   */
  connectAgent(timeoutMs?: number): Promise<AgentClient>;
  /** Stops QEMU (QMP quit, then SIGKILL) and removes the sockets and logs. Idempotent. */
  destroy(): Promise<void>;
}

/**
 * The VmConfig the shim would start for this kernel, initrd and image: @kata-ts/factory's
 * sandboxVmConfig over the configuration tools/install.sh installs (machine type, TCG cache,
 * kernel command line, the 9p share), with its sockets, console log and share in `dir`.
 */
export function bootConfig(options: BootOptions & { accelerator: AcceleratorKind }, dir: string): VmConfig {
  const configPath = join(dir, 'configuration.toml');
  writeFileSync(configPath, renderConfigTemplate({ prefix: dir }));
  const { hypervisor, agent, runtime } = loadConfigFile(configPath, 'the installed defaults', false);
  const sharedDir = options.sharedDir ?? join(dir, 'shared');
  mkdirSync(sharedDir, { recursive: true });
  const kernelParams = [hypervisor.kernelParams, ...(options.kernelParams ?? [])].join(' ');
  const image = options.image ?? (options.initrd ? '' : GUEST_IMAGE.image);
  const initrd = options.initrd ?? GUEST_IMAGE.imageInitrd;
  const config = sandboxVmConfig(
    { hypervisor: { ...hypervisor, kernel: options.kernel ?? GUEST_IMAGE.kernel, initrd, image, kernelParams }, agent, runtime },
    {
      id: 'kata-ts-test',
      accelerator: options.accelerator,
      vcpus: options.vcpus ?? 1,
      memoryMiB: options.memoryMiB ?? 512,
      sharedDir,
      channelSocket: join(dir, 'agent.sock'),
      qmpSocket: join(dir, 'qmp.sock'),
      logFile: join(dir, 'console.log'),
    },
  );
  return { ...config, template: options.template };
}

/** Boots the guest image (build/guest unless told otherwise) the way the shim does: same library, same flags. */
export async function bootGuest(options: BootOptions = {}): Promise<BootedGuest> {
  const accelerator = options.accelerator ?? (await selectAccelerator('auto', { kernel: options.kernel ?? GUEST_IMAGE.kernel })).accelerator;
  const dir = mkdtempSync(join(tmpdir(), 'kata-boot-'));
  const consoleLog = join(dir, 'console.log');
  const vm = new QemuHypervisor();
  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    if (vm.pid !== undefined) await vm.stop({ timeoutMs: 3000 }).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  let startedAt: number;
  try {
    const config = bootConfig({ ...options, accelerator }, dir);
    startedAt = performance.now();
    await vm.start(config);
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
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
    connectAgent: (timeoutMs = 120_000) => connectAgent(vm.agentChannel(), { timeoutMs, log: createLogger({ name: 'boot-guest', level: 'warn' }) }),
    destroy,
  };
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
