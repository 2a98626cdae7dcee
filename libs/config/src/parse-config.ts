import { ConfigError } from './config-error';
import type { KataConfig } from './kata-config';
import { TableReader, type TomlTable } from './table-reader';

/** Defaults follow Kata's configuration-qemu.toml where they make sense on this host. */
export const DEFAULT_QEMU_PATH = '/usr/bin/qemu-system-x86_64';
/** Kata's default: on tmpfs, since a template's memory file is guest RAM. */
export const DEFAULT_TEMPLATE_PATH = '/run/vc/vm/template';
const ACCELERATORS = ['auto', 'kvm', 'tcg'] as const;
const SHARED_FS = ['virtio-9p', 'virtio-fs', 'none'] as const;
const NETWORK_MODELS = ['tcfilter', 'macvtap', 'none'] as const;

/**
 * Validates a parsed (and drop-in-merged) TOML document into a typed KataConfig. Pure: no file
 * access; `checkConfigPaths` checks that the named binaries and images exist.
 */
export function parseConfig(doc: TomlTable, file: string): Omit<KataConfig, 'source'> {
  const hypervisors = new TableReader(file, 'hypervisor', doc.hypervisor);
  if (!hypervisors.has('qemu')) {
    hypervisors.fail('hypervisor', 'missing [hypervisor.qemu] (the only hypervisor kata-ts drives so far)');
  }
  for (const name of Object.keys((doc.hypervisor as TomlTable) ?? {})) {
    if (name !== 'qemu') hypervisors.fail(name, `hypervisor "${name}" is not supported; use [hypervisor.qemu]`);
  }
  const q = new TableReader(file, 'hypervisor.qemu', (doc.hypervisor as TomlTable).qemu);
  const kernel = q.string('kernel', '');
  if (!kernel) q.fail('kernel', 'is required (path to the guest kernel)');
  // Unlike Kata, an image needs an initrd too: the Debian kernel loads the modules that mount it
  // (nfit, nd_pmem, ext4) from one. Without an image the initrd is the whole guest.
  const initrd = q.string('initrd', '');
  const image = q.string('image', '');
  if (!initrd) q.fail('initrd', image ? 'is required with image (the initrd that mounts it: kata-containers-image-initrd.img)' : 'is required (path to the guest initrd)');
  const sharedFs = q.oneOf('shared_fs', SHARED_FS, 'virtio-9p');
  const enableAnnotations = q.strings('enable_annotations', []);
  for (const pattern of enableAnnotations) {
    try {
      new RegExp(pattern);
    } catch {
      q.fail('enable_annotations', `"${pattern}" is not a valid regular expression`);
    }
  }

  const p = new TableReader(file, 'proxy.kata', (doc.proxy as TomlTable | undefined)?.kata);
  const a = new TableReader(file, 'agent.kata', (doc.agent as TomlTable | undefined)?.kata);
  const f = new TableReader(file, 'factory', doc.factory);
  const enableTemplate = f.bool('enable_template', false);
  // Kata's rule: virtiofsd's state cannot be cloned. (Kata also refuses templates with an image;
  // here the image is read-only and a clone maps the same file, so a template may use one.)
  if (enableTemplate && sharedFs === 'virtio-fs') f.fail('enable_template', 'does not work with shared_fs = "virtio-fs"; use virtio-9p');
  if (f.int('vm_cache_number', 0, { min: 0, max: 1024 }) > 0) f.fail('vm_cache_number', 'VMCache is not supported by kata-ts; use enable_template');
  const templatePath = f.string('template_path', DEFAULT_TEMPLATE_PATH);
  if (!templatePath.startsWith('/')) f.fail('template_path', `must be an absolute path, got "${templatePath}"`);
  const r = new TableReader(file, 'runtime', doc.runtime);
  const internetworkingModel = r.oneOf('internetworking_model', NETWORK_MODELS, 'tcfilter');
  const disableNewNetns = r.bool('disable_new_netns', false);
  if (disableNewNetns && internetworkingModel !== 'none') {
    r.fail('disable_new_netns', 'only valid with internetworking_model="none"');
  }

  return {
    hypervisor: {
      path: q.string('path', DEFAULT_QEMU_PATH),
      kernel,
      initrd,
      image,
      machineType: q.string('machine_type', 'q35'),
      kernelParams: q.string('kernel_params', ''),
      defaultVcpus: q.int('default_vcpus', 1, { min: 1, max: 240 }),
      defaultMaxVcpus: q.int('default_maxvcpus', 0, { min: 0, max: 240 }),
      // QEMU's guest needs 128 MiB (the hypervisor refuses less): said here, naming file and key.
      defaultMemory: q.int('default_memory', 2048, { min: 128, max: 1024 * 1024 }),
      // 0: the host's memory, as Kata.
      defaultMaxMemory: q.int('default_maxmemory', 0, { min: 0, max: 1024 * 1024 }),
      memorySlots: q.int('memory_slots', 10, { min: 1, max: 255 }),
      sharedFs,
      virtioFsDaemon: q.string('virtio_fs_daemon', '/usr/libexec/virtiofsd'),
      enableDebug: q.bool('enable_debug', false),
      accelerator: q.oneOf('accelerator', ACCELERATORS, 'auto'),
      tcgTbSize: q.int('tcg_tb_size', 128, { min: 1, max: 4096 }),
      reclaimGuestFreedMemory: q.bool('reclaim_guest_freed_memory', false),
      enableAnnotations,
    },
    proxy: { path: p.string('path', ''), enableDebug: p.bool('enable_debug', false) },
    agent: {
      enableDebug: a.bool('enable_debug', false),
      debugConsoleEnabled: a.bool('debug_console_enabled', false),
      dialTimeout: a.int('dial_timeout', 45, { min: 1, max: 3600 }),
      kernelModules: a.strings('kernel_modules', []),
    },
    factory: { enableTemplate, templatePath },
    runtime: {
      enableDebug: r.bool('enable_debug', false),
      internetworkingModel,
      disableGuestSeccomp: r.bool('disable_guest_seccomp', true),
      sandboxCgroupOnly: r.bool('sandbox_cgroup_only', false),
      staticSandboxResourceMgmt: r.bool('static_sandbox_resource_mgmt', false),
      createContainerTimeout: r.int('create_container_timeout', 60, { min: 1, max: 3600 }),
    },
  };
}

export function assertTable(doc: unknown, file: string): TomlTable {
  if (!TableReader.isTable(doc)) throw new ConfigError('INVALID', 'not a TOML table', { file });
  return doc;
}
