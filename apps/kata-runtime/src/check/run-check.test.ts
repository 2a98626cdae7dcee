import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeHost, type FakeHost, type FakeHostSpec } from '../../test/fake-host';
import type { CheckReport } from './check-item';
import { CAPABLE_MESSAGE, formatCheckReport, NOT_CAPABLE_MESSAGE } from './format-check-report';
import { runCheck } from './run-check';

/** This machine: no vmx/svm exposed, /dev/kvm present but unable to run a guest, no vhost-vsock. */
const NESTED_PVM_HOST: FakeHostSpec = {
  cpuFlags: [],
  kvmDevice: true,
  vhostVsock: false,
  kvmVerdict: { usable: false, reason: 'guest kernel crashed under KVM' },
  containerd: true,
};
const BARE_METAL_HOST: FakeHostSpec = {
  cpuFlags: ['vmx'],
  kvmDevice: true,
  vhostVsock: true,
  kvmVerdict: { usable: true, reason: 'test guest booted' },
  containerd: true,
};

let fake: FakeHost | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function check(spec: FakeHostSpec): Promise<CheckReport> {
  fake = await createFakeHost(spec);
  return runCheck({ host: fake.host, config: fake.config() });
}
const item = (report: CheckReport, id: string) => report.items.find((i) => i.id === id);

describe('runCheck', () => {
  it('on a host without usable KVM or vhost-vsock: capable, with TCG and the proxy', async () => {
    const report = await check(NESTED_PVM_HOST);
    expect(report.capable).toBe(true);
    expect(report.accelerator).toBe('tcg');
    expect(report.agentChannel).toBe('proxy');
    expect(item(report, 'cpu')).toMatchObject({ status: 'fallback' });
    expect(item(report, 'kvm')).toMatchObject({ status: 'fallback' });
    expect(item(report, 'kvm')?.detail).toContain('guest kernel crashed under KVM');
    expect(item(report, 'vsock')).toMatchObject({ status: 'fallback' });
    expect(item(report, 'proxy')).toMatchObject({ status: 'ok' });
    expect(item(report, 'qemu')?.detail).toContain('QEMU emulator version 7.2.0');
    expect(item(report, 'containerd')?.detail).toContain('containerd 1.6.20~fake');
    expect(fake?.probeCalls).toBe(1);
    const text = formatCheckReport(report, false);
    expect(text).toContain(CAPABLE_MESSAGE);
    expect(text).toContain('Hypervisor: QEMU with TCG');
    expect(text).toContain('Agent channel: virtio-serial through kata-proxy');
  });

  it('without kata-proxy configured: the shim holds the serial channel, nothing to check', async () => {
    const report = await check({ ...NESTED_PVM_HOST, omit: ['proxy'], proxyPath: '' });
    expect(report).toMatchObject({ capable: true, agentChannel: 'shim' });
    expect(item(report, 'proxy')).toBeUndefined();
    expect(formatCheckReport(report, false)).toContain('Agent channel: virtio-serial held by the shim');
  });

  it('on a host with working KVM and vhost-vsock: capable, everything ok', async () => {
    const report = await check(BARE_METAL_HOST);
    expect(report).toMatchObject({ capable: true, accelerator: 'kvm', agentChannel: 'vsock' });
    expect(report.items.filter((i) => i.status !== 'ok')).toEqual([]);
    const text = formatCheckReport(report, false);
    expect(text).toContain('Hypervisor: QEMU with KVM\n');
    expect(formatCheckReport(report, true)).toContain('ok       KVM:');
  });

  it('without /dev/kvm the probe is not run and TCG is the fallback', async () => {
    const report = await check({ ...BARE_METAL_HOST, kvmDevice: false });
    expect(report.accelerator).toBe('tcg');
    expect(fake?.probeCalls).toBe(0);
    expect(item(report, 'kvm')?.detail).toContain('load kvm_intel or kvm_amd');
  });

  it('names each missing requirement and withholds the capable verdict', async () => {
    const report = await check({ ...NESTED_PVM_HOST, containerd: false, omit: ['kernel'] });
    expect(report.capable).toBe(false);
    expect(report.accelerator).toBeUndefined();
    const missing = report.items.filter((i) => i.status === 'missing').map((i) => i.id);
    expect(missing.sort()).toEqual(['containerd', 'kernel']);
    expect(item(report, 'kernel')?.detail).toMatch(/vmlinuz \(hypervisor\.qemu\.kernel\): does not exist/);
    expect(item(report, 'containerd')?.detail).toContain('--containerd-address');
    const text = formatCheckReport(report, false);
    expect(text).not.toContain(CAPABLE_MESSAGE);
    expect(text).toContain(`${NOT_CAPABLE_MESSAGE}: 2 requirement(s) missing`);
  });

  it('checks the root image when the configuration names one', async () => {
    const withImage = await check({ ...NESTED_PVM_HOST, image: true });
    expect(item(withImage, 'image')).toMatchObject({ status: 'ok' });
    expect(withImage.capable).toBe(true);
    await fake?.close();
    const missing = await check({ ...NESTED_PVM_HOST, image: true, omit: ['image'] });
    expect(missing.capable).toBe(false);
    expect(item(missing, 'image')?.detail).toMatch(/root\.img \(hypervisor\.qemu\.image\): does not exist/);
    await fake?.close();
    const without = await check(NESTED_PVM_HOST);
    expect(item(without, 'image')).toBeUndefined();
  });

  it('checks the kata-proxy the config names, with or without vhost-vsock', async () => {
    const noProxy = await check({ ...NESTED_PVM_HOST, omit: ['proxy'] });
    expect(noProxy.capable).toBe(false);
    expect(item(noProxy, 'proxy')).toMatchObject({ status: 'missing' });
    await fake?.close();
    const withVsock = await check({ ...BARE_METAL_HOST, omit: ['proxy'] });
    expect(item(withVsock, 'proxy')).toMatchObject({ status: 'missing' });
  });

  it('a config that forces KVM on a host where KVM does not work is not capable', async () => {
    const report = await check({ ...NESTED_PVM_HOST, qemuExtra: 'accelerator = "kvm"' });
    expect(report.capable).toBe(false);
    expect(item(report, 'kvm')).toMatchObject({ status: 'missing' });
  });

  it('a config that forces TCG skips the KVM probe', async () => {
    const report = await check({ ...BARE_METAL_HOST, qemuExtra: 'accelerator = "tcg"' });
    expect(report).toMatchObject({ capable: true, accelerator: 'tcg' });
    expect(fake?.probeCalls).toBe(0);
  });

  it('rejects a QEMU path that runs but is not QEMU', async () => {
    fake = await createFakeHost(NESTED_PVM_HOST);
    writeFileSync(join(fake.dir, 'qemu-system-x86_64'), '#!/bin/sh\necho hello\n');
    const report = await runCheck({ host: fake.host, config: fake.config() });
    expect(item(report, 'qemu')).toMatchObject({ status: 'missing' });
    expect(item(report, 'qemu')?.detail).toContain('not a QEMU version');
  });

  it('reports an unloadable configuration as missing', async () => {
    fake = await createFakeHost(NESTED_PVM_HOST);
    const report = await runCheck({ host: fake.host, config: new Error('no configuration file found') });
    expect(report.capable).toBe(false);
    expect(item(report, 'config')).toMatchObject({ status: 'missing', detail: 'no configuration file found' });
  });
});
