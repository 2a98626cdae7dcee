import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createHypervisor, HypervisorError, QemuHypervisor, type VmConfig } from '../src';

// The full lifecycle with a real guest (start, agent over the channel, stop) is in
// apps/image-builder/test/boot.test.ts; here: what fails before a guest exists, and stop.
describe('QemuHypervisor start-up failures', () => {
  let dir: string;
  let vm: QemuHypervisor | undefined;
  afterEach(async () => {
    if (vm?.pid) await vm.stop({ timeoutMs: 1000 }).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  function config(overrides: Partial<VmConfig> = {}): VmConfig {
    dir = mkdtempSync(join(tmpdir(), 'qemu-hv-'));
    writeFileSync(join(dir, 'kernel'), 'not a kernel');
    writeFileSync(join(dir, 'initrd'), '');
    return {
      id: 'fail',
      kernel: join(dir, 'kernel'),
      initrd: join(dir, 'initrd'),
      accelerator: 'tcg',
      vcpus: 1,
      memoryMiB: 256,
      agentSocket: join(dir, 'agent.sock'),
      qmpSocket: join(dir, 'qmp.sock'),
      ...overrides,
    };
  }

  it('reports QEMU\'s own error when it refuses the kernel', async () => {
    vm = new QemuHypervisor();
    const err = await vm.start(config()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HypervisorError);
    expect(err).toMatchObject({ code: 'START_FAILED', message: expect.stringMatching(/kernel|PVH/i) });
    expect((await vm.wait()).code).not.toBe(0);
  });

  it('refuses to clone an incomplete template and leaves no file behind', async () => {
    vm = new QemuHypervisor();
    const c = config();
    const template = join(dir, 'template');
    mkdirSync(template);
    writeFileSync(join(template, 'state'), '');
    await expect(vm.start({ ...c, template: { dir: template, role: 'restore' } })).rejects.toMatchObject({ code: 'BAD_CONFIG', message: expect.stringContaining('has no memory file') });
    expect(readdirSync(template)).toEqual(['state']);
    expect(vm.pid).toBeUndefined();
  });

  /** A config that boots the built guest (QEMU refuses a fake kernel before QMP is up). */
  function guestConfig(overrides: Partial<VmConfig> = {}): VmConfig {
    const guest = fileURLToPath(new URL('../../../build/guest/', import.meta.url));
    const kernel = join(guest, 'vmlinux.container');
    if (!existsSync(kernel)) throw new Error(`${kernel} is missing: build the guest image first (tools/build-guest-image)`);
    return config({ kernel, initrd: join(guest, 'kata-containers-initrd.img'), ...overrides });
  }

  it('stop ends a QEMU that never answers quit (stopped: a hung VM) within its timeout', async () => {
    vm = new QemuHypervisor();
    await vm.start(guestConfig());
    process.kill(vm.pid!, 'SIGSTOP');
    expect(await vm.stop({ timeoutMs: 1000 })).toMatchObject({ signal: 'SIGKILL' });
  });

  it('hot-plugs RAM as DIMMs of whole guest memory blocks, within its slots and maximum', async () => {
    vm = new QemuHypervisor();
    await vm.start(guestConfig({ memoryHotplug: { slots: 2, maxMiB: 640 } }));
    expect(vm.memoryMiB()).toBe(256);
    expect(await vm.hotplugMemory(100)).toBe(128);
    await expect(vm.hotplugMemory(300)).rejects.toMatchObject({ code: 'NO_CAPACITY', message: 'cannot add 384 MiB to VM fail: it has 384 MiB and its maximum is 640 MiB' });
    expect(await vm.hotplugMemory(256)).toBe(256);
    await expect(vm.hotplugMemory(1)).rejects.toMatchObject({ code: 'NO_CAPACITY', message: expect.stringContaining('all 2 of its memory slots are in use') });
    expect(vm.memoryMiB()).toBe(640);
    // What QEMU has, not what we counted: the boot RAM plus two DIMMs.
    const summary = await vm.qmp().execute<{ 'base-memory': number; 'plugged-memory': number }>('query-memory-size-summary');
    expect(summary).toEqual({ 'base-memory': 256 * 2 ** 20, 'plugged-memory': 384 * 2 ** 20 });
    const dimms = await vm.qmp().execute<{ type: string; data: { id: string; size: number } }[]>('query-memory-devices');
    expect(dimms.map((d) => [d.type, d.data.id, d.data.size / 2 ** 20])).toEqual([['dimm', 'dimm0', 128], ['dimm', 'dimm1', 256]]);
  });

  it('refuses to hot-plug RAM into a VM started without room for it', async () => {
    vm = new QemuHypervisor();
    await vm.start(guestConfig());
    await expect(vm.hotplugMemory(128)).rejects.toMatchObject({ code: 'NO_CAPACITY', message: expect.stringContaining('started without memory hot-plug (256 MiB fixed)') });
  });

  it('reports a missing QEMU binary', async () => {
    vm = new QemuHypervisor();
    await expect(vm.start(config({ qemuPath: '/nonexistent/qemu' }))).rejects.toMatchObject({ code: 'START_FAILED', message: expect.stringMatching(/ENOENT/) });
  });

  it('creates qemu by name and refuses others', () => {
    dir = mkdtempSync(join(tmpdir(), 'qemu-hv-'));
    expect(createHypervisor('qemu')).toBeInstanceOf(QemuHypervisor);
    expect(() => createHypervisor('firecracker')).toThrow(/not supported/);
  });
});
