import { ConfigError } from './config-error';
import type { KataConfig } from './kata-config';

export const ANNOTATION_PREFIX = 'io.katacontainers.config.';

type Setter = (config: KataConfig, value: string, key: string) => void;

function int(min: number, max: number, set: (c: KataConfig, n: number) => void): Setter {
  return (config, value, key) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError('INVALID', `annotation must be an integer in [${min}, ${max}], got "${value}"`, { key });
    }
    set(config, n);
  };
}

function bool(set: (c: KataConfig, b: boolean) => void): Setter {
  return (config, value, key) => {
    if (value !== 'true' && value !== 'false') {
      throw new ConfigError('INVALID', `annotation must be "true" or "false", got "${value}"`, { key });
    }
    set(config, value === 'true');
  };
}

/**
 * The annotations a pod may use to override the configuration, by name after
 * `io.katacontainers.config.`. Paths (hypervisor, kernel, image) are deliberately absent: letting a
 * pod choose the binaries the host runs is a privilege escalation.
 */
const SETTERS: Record<string, Setter> = {
  'hypervisor.default_vcpus': int(1, 240, (c, n) => (c.hypervisor.defaultVcpus = n)),
  'hypervisor.default_memory': int(128, 1024 * 1024, (c, n) => (c.hypervisor.defaultMemory = n)),
  'hypervisor.default_maxmemory': int(0, 1024 * 1024, (c, n) => (c.hypervisor.defaultMaxMemory = n)),
  'hypervisor.memory_slots': int(1, 255, (c, n) => (c.hypervisor.memorySlots = n)),
  'hypervisor.kernel_params': (c, v) => (c.hypervisor.kernelParams = `${c.hypervisor.kernelParams} ${v}`.trim()),
  'hypervisor.enable_debug': bool((c, b) => (c.hypervisor.enableDebug = b)),
  'agent.enable_debug': bool((c, b) => (c.agent.enableDebug = b)),
  'agent.kernel_modules': (c, v) => (c.agent.kernelModules = v.split(';').map((m) => m.trim()).filter(Boolean)),
  'agent.dial_timeout': int(1, 3600, (c, n) => (c.agent.dialTimeout = n)),
};

/**
 * Path annotations and the list Kata checks their value against: kata-ts takes no path from a pod
 * (it would choose the binaries the host runs), so these are refused even where Kata would check.
 */
const PATH_LISTS: Record<string, string> = {
  'hypervisor.path': 'valid_hypervisor_paths',
  'hypervisor.jailer_path': 'valid_jailer_paths',
  'hypervisor.ctlpath': 'valid_ctlpaths',
  'hypervisor.virtio_fs_daemon': 'valid_virtio_fs_daemon_paths',
  'hypervisor.file_mem_backend': 'valid_file_mem_backends',
  'hypervisor.entropy_source': 'valid_entropy_sources',
  'hypervisor.vhost_user_store_path': 'valid_vhost_user_store_paths',
};

export interface AppliedAnnotations {
  config: KataConfig;
  applied: string[];
}

/**
 * Applies `io.katacontainers.config.*` annotations whose name (after `hypervisor.`, `agent.` ...)
 * matches one of `hypervisor.qemu.enable_annotations`' regexes, as Kata does. Any other is
 * refused, as Kata refuses a pod with an annotation that "is not enabled": the error names the
 * annotation and the configuration key that would enable it (for paths also Kata's valid_*_paths
 * list, which kata-ts does not offer). Returns a new config; the input is not changed.
 */
export function applyAnnotations(config: KataConfig, annotations: Record<string, string> = {}): AppliedAnnotations {
  const out = structuredClone(config);
  const patterns = config.hypervisor.enableAnnotations.map((p) => new RegExp(`^(?:${p})$`));
  const where = { file: config.source.path, key: 'hypervisor.qemu.enable_annotations' };
  const applied: string[] = [];
  for (const [name, value] of Object.entries(annotations)) {
    if (!name.startsWith(ANNOTATION_PREFIX)) continue;
    const key = name.slice(ANNOTATION_PREFIX.length);
    const shortName = key.slice(key.indexOf('.') + 1);
    const pathList = PATH_LISTS[key];
    if (!patterns.some((re) => re.test(shortName) || re.test(key))) {
      const also = pathList ? ` and the path listed in ${pathList}` : '';
      throw new ConfigError('INVALID', `annotation ${name} is not enabled: it needs "${shortName}" in enable_annotations${also}`, where);
    }
    const setter = SETTERS[key];
    if (!setter) {
      const why = pathList ? `kata-ts takes no paths from annotations (Kata checks them against ${pathList})` : 'kata-ts does not support it';
      throw new ConfigError('INVALID', `annotation ${name} is enabled but ${why}`, where);
    }
    setter(out, value, name);
    applied.push(name);
  }
  return { config: out, applied };
}
