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
    'io.kubernetes.cri.sandbox-id': 'x',
  };

  it('refuses an annotation that is not enabled, naming it and enable_annotations (and Kata’s list for a path)', () => {
    expect(() => applyAnnotations(config([]), { 'io.katacontainers.config.hypervisor.default_vcpus': '2' })).toThrow(
      'test.toml: hypervisor.qemu.enable_annotations: annotation io.katacontainers.config.hypervisor.default_vcpus is not enabled: it needs "default_vcpus" in enable_annotations',
    );
    expect(() => applyAnnotations(config(['default_vcpus']), { 'io.katacontainers.config.hypervisor.path': '/bin/evil' })).toThrow(
      /annotation io.katacontainers.config.hypervisor.path is not enabled: it needs "path" in enable_annotations and the path listed in valid_hypervisor_paths/,
    );
  });

  it('refuses an enabled path annotation (kata-ts takes no paths) and an unknown one', () => {
    expect(() => applyAnnotations(config(['.*']), { 'io.katacontainers.config.hypervisor.path': '/bin/evil' })).toThrow(
      /hypervisor.path is enabled but kata-ts takes no paths from annotations \(Kata checks them against valid_hypervisor_paths\)/,
    );
    expect(() => applyAnnotations(config(['.*']), { 'io.katacontainers.config.hypervisor.no_such_knob': '1' })).toThrow(/no_such_knob is enabled but kata-ts does not support it/);
  });

  it('applies the enabled ones and leaves other annotations alone', () => {
    const input = config(['kernel_params', 'default_vcpus']);
    const { config: out, applied } = applyAnnotations(input, annotations);
    expect(applied.sort()).toEqual([
      'io.katacontainers.config.hypervisor.default_vcpus',
      'io.katacontainers.config.hypervisor.kernel_params',
    ]);
    expect(out.hypervisor.kernelParams).toBe('quiet debug');
    expect(out.hypervisor.defaultVcpus).toBe(2);
    expect(input.hypervisor.defaultVcpus).toBe(1);
  });

  it('rejects a malformed allowed value with the annotation name', () => {
    expect(() =>
      applyAnnotations(config(['default_vcpus']), { 'io.katacontainers.config.hypervisor.default_vcpus': 'many' }),
    ).toThrow(/io.katacontainers.config.hypervisor.default_vcpus: annotation must be an integer/);
  });
});
