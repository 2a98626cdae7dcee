import type { Hypervisor } from './hypervisor';
import { HypervisorError } from './hypervisor-error';
import { QemuHypervisor, type QemuOptions } from './qemu/qemu-hypervisor';

/** A hypervisor by configuration name (Kata's `[hypervisor.<name>]`); only qemu exists today. */
export function createHypervisor(name: string, options: QemuOptions = {}): Hypervisor {
  if (name === 'qemu') return new QemuHypervisor(options);
  throw new HypervisorError('NOT_SUPPORTED', `hypervisor ${JSON.stringify(name)} is not supported (only qemu)`);
}
