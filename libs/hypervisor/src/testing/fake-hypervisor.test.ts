import { describe, expect, it } from 'vitest';
import type { VmConfig } from '../vm-config';
import { FakeHypervisor } from './fake-hypervisor';

const config: VmConfig = { id: 'sb', kernel: '/k', initrd: '/i', accelerator: 'tcg', vcpus: 1, memoryMiB: 256, agentSocket: '/run/sb/agent.sock', qmpSocket: '/run/sb/qmp.sock' };

describe('FakeHypervisor', () => {
  it('records the config, exits on stop and on crash', async () => {
    const vm = new FakeHypervisor({ pid: 7 });
    await expect(vm.wait()).rejects.toMatchObject({ code: 'NOT_RUNNING' });
    await vm.start(config);
    expect(vm.pid).toBe(7);
    expect(vm.agentChannel()).toEqual({ kind: 'serial', socketPath: '/run/sb/agent.sock', port: 1024 });
    expect(await vm.stop()).toEqual({ code: 0, signal: null });
    expect(await vm.wait()).toEqual({ code: 0, signal: null });

    const crashed = new FakeHypervisor();
    await crashed.start(config);
    crashed.crash();
    expect(await crashed.wait()).toEqual({ code: null, signal: 'SIGKILL' });
  });
});
