import { describe, expect, it } from 'vitest';
import { parseConfig } from '@kata-ts/config';
import { sandboxSize } from './sandbox-size';

const q = parseConfig({ hypervisor: { qemu: { kernel: '/k', initrd: '/i', default_vcpus: 1, default_memory: 512 } } }, 't.toml').hypervisor;

describe('sandboxSize', () => {
  it('is the configured default without limits', () => {
    expect(sandboxSize(q, { ociVersion: '1.1.0' })).toEqual({ vcpus: 1, memoryMiB: 512 });
  });
  it('adds the spec’s CPU quota (rounded up) and memory limit', () => {
    const spec = { ociVersion: '1.1.0', linux: { resources: { cpu: { quota: 150_000, period: 100_000 }, memory: { limit: 256 * 1024 * 1024 + 1 } } } };
    expect(sandboxSize(q, spec)).toEqual({ vcpus: 3, memoryMiB: 512 + 257 });
  });
  it('caps vCPUs at default_maxvcpus', () => {
    const spec = { ociVersion: '1.1.0', linux: { resources: { cpu: { quota: 800_000, period: 100_000 } } } };
    expect(sandboxSize({ ...q, defaultMaxVcpus: 2 }, spec).vcpus).toBe(2);
  });
});
