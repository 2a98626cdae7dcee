import { describe, expect, it } from 'vitest';
import { applyAnnotations } from './apply-annotations';
import { parseConfig } from './parse-config';
import type { KataConfig } from './kata-config';

function config(enableAnnotations: string[]): KataConfig {
  const base = parseConfig(
    { hypervisor: { qemu: { kernel: '/k', initrd: '/i', kernel_params: 'quiet', enable_annotations: enableAnnotations } } },
    'test.toml',
  );
  return { ...base, source: { path: 'test.toml', reason: 'test', dropIns: [] } };
}

describe('applyAnnotations', () => {
  const annotations = {
    'io.katacontainers.config.hypervisor.default_vcpus': '2',
    'io.katacontainers.config.hypervisor.kernel_params': 'debug',
    'io.katacontainers.config.hypervisor.path': '/evil/qemu',
    'io.kubernetes.cri.sandbox-id': 'x',
  };

  it('ignores every annotation when enable_annotations is empty', () => {
    const { config: out, applied, ignored } = applyAnnotations(config([]), annotations);
    expect(applied).toEqual([]);
    expect(ignored).toHaveLength(3);
    expect(out.hypervisor.defaultVcpus).toBe(1);
  });

  it('applies only the allowed ones and never paths', () => {
    const input = config(['kernel_params', 'default_vcpus', '.*path']);
    const { config: out, applied } = applyAnnotations(input, annotations);
    expect(applied.sort()).toEqual([
      'io.katacontainers.config.hypervisor.default_vcpus',
      'io.katacontainers.config.hypervisor.kernel_params',
    ]);
    expect(out.hypervisor.kernelParams).toBe('quiet debug');
    expect(out.hypervisor.defaultVcpus).toBe(2);
    expect(out.hypervisor.path).toBe('/usr/bin/qemu-system-x86_64');
    expect(input.hypervisor.defaultVcpus).toBe(1);
  });

  it('rejects a malformed allowed value with the annotation name', () => {
    expect(() =>
      applyAnnotations(config(['default_vcpus']), { 'io.katacontainers.config.hypervisor.default_vcpus': 'many' }),
    ).toThrow(/io.katacontainers.config.hypervisor.default_vcpus: annotation must be an integer/);
  });
});
