import { describe, expect, it } from 'vitest';
import { parseConfig } from '@kata-ts/config';
import { HypervisorError } from '@kata-ts/hypervisor';
import { MemoryFit, sandboxSize } from './sandbox-size';

const config = (runtime: Record<string, unknown> = {}) =>
  parseConfig({ hypervisor: { qemu: { kernel: '/k', initrd: '/i', default_vcpus: 1, default_memory: 512 } }, runtime }, 't.toml');
const MiB = 1024 * 1024;

describe('sandboxSize', () => {
  const limited = { ociVersion: '1.1.0', linux: { resources: { cpu: { quota: 150_000, period: 100_000 }, memory: { limit: 256 * MiB + 1 } } } };
  it('is the configured default without limits', () => {
    expect(sandboxSize(config(), { ociVersion: '1.1.0' })).toEqual({ vcpus: 1, memoryMiB: 512 });
  });
  it('adds the spec’s CPU quota (rounded up) and, with static sizing, its memory limit', () => {
    expect(sandboxSize(config({ static_sandbox_resource_mgmt: true }), limited)).toEqual({ vcpus: 3, memoryMiB: 512 + 257 });
  });
  it('leaves the memory limit to hot-plug with dynamic sizing', () => {
    expect(sandboxSize(config({ static_sandbox_resource_mgmt: false }), limited)).toEqual({ vcpus: 3, memoryMiB: 512 });
  });
  it('caps vCPUs at default_maxvcpus', () => {
    const c = config();
    const spec = { ociVersion: '1.1.0', linux: { resources: { cpu: { quota: 800_000, period: 100_000 } } } };
    expect(sandboxSize({ ...c, hypervisor: { ...c.hypervisor, defaultMaxVcpus: 2 } }, spec).vcpus).toBe(2);
  });
});

/** A VM that grows by exactly what is asked (the real one rounds up to 128 MiB) or refuses past `maxMiB`. */
function vm(bootMiB: number, maxMiB = Infinity) {
  const plugs: number[] = [];
  const memoryMiB = () => bootMiB + plugs.reduce((a, b) => a + b, 0);
  return {
    plugs,
    memoryMiB,
    async hotplugMemory(mib: number): Promise<number> {
      await new Promise((r) => setTimeout(r, 5));
      if (memoryMiB() + mib > maxMiB) throw new HypervisorError('NO_CAPACITY', `cannot add ${mib} MiB`);
      plugs.push(mib);
      return mib;
    },
  };
}

describe('MemoryFit', () => {
  it('grows the VM to the default plus every container’s limit, never shrinking it', async () => {
    const v = vm(512);
    const fit = new MemoryFit(512, v);
    await fit.fit('pause', undefined);
    await fit.fit('a', 300 * MiB);
    await fit.fit('b', -1);
    await fit.fit('c', 100 * MiB + 1);
    expect(v.plugs).toEqual([300, 101]);
    fit.forget('a');
    await fit.fit('d', 200 * MiB); // a's 300 MiB are free again: no growth
    await fit.fit('c', 500 * MiB); // an update to a larger limit grows the VM by what is missing
    expect(v.plugs).toEqual([300, 101, 299]);
    expect(v.memoryMiB()).toBe(1212);
  });

  it('serializes concurrent containers, so neither is counted twice or missed', async () => {
    const v = vm(512);
    const fit = new MemoryFit(512, v);
    await Promise.all([fit.fit('a', 256 * MiB), fit.fit('b', 256 * MiB)]);
    expect(v.plugs).toEqual([256, 256]);
  });

  it('fails the container the VM cannot hold, and its limit does not count', async () => {
    const v = vm(512, 1024);
    const fit = new MemoryFit(512, v);
    await fit.fit('a', 256 * MiB);
    await expect(fit.fit('big', 1024 * MiB)).rejects.toMatchObject({ code: 'NO_CAPACITY' });
    await fit.fit('b', 256 * MiB);
    expect(v.plugs).toEqual([256, 256]);
  });
});
