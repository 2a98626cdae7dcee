import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { DEFAULT_QEMU_PATH, guestKernelParams, type VmConfig } from '@kata-ts/hypervisor';

/** A file by identity (device, inode, size, mtime): a rebuilt kernel or image is a new file. */
export interface FileIdentity {
  path: string;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

/** What a clone has in common with its template: everything but per-VM names and paths. */
export interface TemplateInputs {
  qemu: FileIdentity;
  kernel: FileIdentity;
  initrd: FileIdentity;
  image: FileIdentity | null;
  machineType: string;
  accelerator: string;
  vcpus: number;
  memoryMiB: number;
  memoryHotplug: VmConfig['memoryHotplug'] | null;
  kernelParams: string[];
  tcgTranslationCacheMiB: number | null;
  shares: { id: string; mountTag: string; readonly: boolean }[];
}

function identify(path: string): FileIdentity {
  const st = statSync(path);
  return { path, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

export function templateInputs(config: VmConfig): TemplateInputs {
  return {
    qemu: identify(config.qemuPath ?? DEFAULT_QEMU_PATH),
    kernel: identify(config.kernel),
    initrd: identify(config.initrd),
    image: config.image ? identify(config.image) : null,
    machineType: config.machineType ?? 'pc',
    accelerator: config.accelerator,
    vcpus: config.vcpus,
    memoryMiB: config.memoryMiB,
    memoryHotplug: config.memoryHotplug ?? null,
    kernelParams: [...guestKernelParams(), ...(config.kernelParams ?? [])],
    tcgTranslationCacheMiB: config.tcgTranslationCacheMiB ?? null,
    shares: (config.shares ?? []).map((s) => ({ id: s.id, mountTag: s.mountTag, readonly: s.readonly ?? false })),
  };
}

/** Whether a file recorded in a template's inputs was replaced or removed since (an upgrade). */
export function replacedSince(file: FileIdentity): boolean {
  try {
    const now = identify(file.path);
    return now.dev !== file.dev || now.ino !== file.ino || now.size !== file.size || now.mtimeMs !== file.mtimeMs;
  } catch {
    return true;
  }
}

/** The template directory's name for these inputs. */
export function templateKey(inputs: TemplateInputs): string {
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
}
