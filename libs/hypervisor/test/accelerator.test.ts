import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probeKvm, selectAccelerator } from '../src';

// The probe's mechanism, with a scripted "QEMU" standing in for a host whose KVM works or
// breaks. The real probe on this machine (a real kernel under -accel kvm) runs in
// apps/image-builder/test/boot.test.ts, where the guest kernel is built.
describe('probeKvm', () => {
  let dir: string;
  let kernel: string;
  let kvmDevice: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvm-probe-'));
    kernel = join(dir, 'vmlinux');
    kvmDevice = join(dir, 'kvm');
    writeFileSync(kernel, 'kernel');
    writeFileSync(kvmDevice, '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function fakeQemu(script: string): string {
    const path = join(dir, `qemu-${Math.random().toString(36).slice(2)}`);
    writeFileSync(path, `#!/bin/sh\n${script}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  it('says no without trying when the device is missing', async () => {
    const verdict = await probeKvm({ kernel, kvmDevice: join(dir, 'absent'), cacheDir: dir });
    expect(verdict).toMatchObject({ usable: false, reason: expect.stringMatching(/absent is not usable: ENOENT/) });
  });

  it('says yes only when the guest finished booting, and caches the verdict per boot and kernel', async () => {
    const qemuPath = fakeQemu('echo "[    0.5] VFS: Unable to mount root fs on unknown-block(0,0)"; sleep 5');
    const first = await probeKvm({ qemuPath, kernel, kvmDevice, cacheDir: dir });
    expect(first).toMatchObject({ usable: true, reason: expect.stringMatching(/booted under KVM/) });
    expect(first.cached).toBeUndefined();
    // The cached verdict is used even though this "QEMU" would now fail.
    const again = await probeKvm({ qemuPath, kernel, kvmDevice, cacheDir: dir });
    expect(again).toMatchObject({ usable: true, cached: true });
  });

  it('says no when the guest dies early, with QEMU\'s own words', async () => {
    const qemuPath = fakeQemu('echo "KVM internal error. Suberror: 1" >&2; exit 1');
    const verdict = await probeKvm({ qemuPath, kernel, kvmDevice, cacheDir: dir });
    expect(verdict).toMatchObject({ usable: false, reason: expect.stringMatching(/died before finishing its boot \(KVM internal error/) });
  });

  it('says no when the guest hangs', async () => {
    const qemuPath = fakeQemu('echo "Linux version 6.1"; sleep 30');
    const verdict = await probeKvm({ qemuPath, kernel, kvmDevice, cacheDir: dir, timeoutMs: 300 });
    expect(verdict).toMatchObject({ usable: false, reason: expect.stringMatching(/did not finish booting within 300 ms/) });
  });

  it('selectAccelerator honours a forced setting and falls back to TCG on auto', async () => {
    expect(await selectAccelerator('kvm', { kernel })).toEqual({ accelerator: 'kvm', reason: 'configured: accelerator = "kvm"' });
    const auto = await selectAccelerator('auto', { kernel, kvmDevice: join(dir, 'absent'), cacheDir: dir });
    expect(auto.accelerator).toBe('tcg');
  });
});
