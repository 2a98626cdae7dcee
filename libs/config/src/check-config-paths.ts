import { accessSync, constants, existsSync } from 'node:fs';
import { ConfigError } from './config-error';
import type { KataConfig } from './kata-config';

/**
 * Fails early, naming the key, when a file the sandbox needs is missing: otherwise the user would
 * see a QEMU error (or a timeout) much later instead of "kernel: ... does not exist".
 */
export function checkConfigPaths(config: KataConfig): void {
  const file = config.source.path;
  const q = config.hypervisor;
  const need = (key: string, path: string, executable = false): void => {
    if (!existsSync(path)) {
      throw new ConfigError('INVALID', `${path} does not exist`, { file, key });
    }
    if (executable) {
      try {
        accessSync(path, constants.X_OK);
      } catch {
        throw new ConfigError('INVALID', `${path} is not executable`, { file, key });
      }
    }
  };
  need('hypervisor.qemu.path', q.path, true);
  need('hypervisor.qemu.kernel', q.kernel);
  if (q.initrd) need('hypervisor.qemu.initrd', q.initrd);
  if (q.image) need('hypervisor.qemu.image', q.image);
  if (q.sharedFs === 'virtio-fs' && !existsSync(q.virtioFsDaemon)) {
    throw new ConfigError(
      'INVALID',
      `virtio-fs needs virtiofsd, which is not installed (${q.virtioFsDaemon} does not exist); use shared_fs = "virtio-9p"`,
      { file, key: 'hypervisor.qemu.shared_fs' },
    );
  }
  if (config.proxy.path) need('proxy.kata.path', config.proxy.path);
}
