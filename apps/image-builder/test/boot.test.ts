import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeKvm, type AcceleratorKind } from '@kata-ts/hypervisor';
import { bootGuest, waitForConsole, type BootedGuest } from '@kata-ts/testing';
import { buildGuestImage, findRepoRoot, stderrProgress, type BuildGuestImageResult } from '../src';
import { exitingAgentDir, probeAgentDir, waitForProbeReport } from '../src/testing';

const repo = findRepoRoot();
const agentDist = join(repo, 'apps', 'agent', 'dist');
const cacheDir = join(repo, 'build', 'guest', '.cache');

/**
 * The boot check (issue 3): the real image, booted by @kata-ts/testing's bootGuest exactly as the
 * shim boots it, answers grpc.Health/Check through QEMU's chardev socket → mux → port 1024 → ttrpc.
 */
describe('guest image boot check', () => {
  let image: BuildGuestImageResult;
  let accelerator: AcceleratorKind;
  let guest: BootedGuest | undefined;
  const tempDirs: string[] = [];

  beforeAll(async () => {
    expect(existsSync(join(agentDist, 'kata-agent.mjs')), 'build the agent first: npx nx run agent:build').toBe(true);
    image = await buildGuestImage({ progress: stderrProgress() });
  }, 600_000);

  afterEach(async () => {
    await guest?.destroy();
    guest = undefined;
  });

  afterAll(() => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('decides KVM or TCG by booting the real kernel under KVM', async () => {
    const verdict = await probeKvm({ kernel: image.vmlinux });
    console.log(`KVM verdict: ${verdict.usable ? 'usable' : 'not usable'}: ${verdict.reason}${verdict.cached ? ' (cached)' : ''}`);
    if (verdict.usable) expect(verdict.reason).toMatch(/booted under KVM/);
    else expect(verdict.reason).toMatch(/did not finish booting|died before finishing|not usable/);
    accelerator = verdict.usable ? 'kvm' : 'tcg';
  }, 60_000);

  it.each([
    ['the root image on a DAX nvdimm, mounted by its initrd (the installed boot)', 'image'],
    ['the whole guest in one initrd', 'initrd'],
  ] as const)('boots %s and the agent answers grpc.Health/Check over virtio-serial + mux + ttrpc', async (_, boot) => {
    const files = boot === 'image' ? { initrd: image.imageInitrd, image: image.image } : { initrd: image.initrd, image: '' };
    guest = await bootGuest({ kernel: image.vmlinux, ...files, accelerator });
    const agent = await guest.connectAgent();
    const readyMs = performance.now() - guest.startedAt;
    await agent.close();
    console.log(`QEMU start -> agent ready (${accelerator}, ${boot}): ${(readyMs / 1000).toFixed(2)} s`);

    const modules = await waitForConsole(guest, /modules loaded: (\d+)/, 5000);
    expect(modules).toBe(`modules loaded: ${(boot === 'image' ? image.manifest.imageModules : image.manifest.modules).length}`);
    if (boot === 'image') expect(guest.console()).toMatch(/kata-init: \[[\d.]+\] root: \/dev\/pmem0 \(ext4, dax\)/);
    expect(guest.console()).not.toMatch(/kata-init: .*(failed|: No such|: Exec format|did not appear|cannot start)/);

    const exit = await guest.vm.stop({ timeoutMs: 5000 });
    expect(exit.signal).toBeNull();
  }, 180_000);

  it('PID 1 mounts the root image, enables cgroup controllers, links the port, brings lo up, reaps orphans; crun runs a container', async () => {
    const agentDir = probeAgentDir(agentDist);
    tempDirs.push(agentDir);
    const probe = await buildGuestImage({ outDir: join(repo, 'build', 'guest-probe'), cacheDir, agentDir });
    guest = await bootGuest({ kernel: probe.vmlinux, initrd: probe.imageInitrd, image: probe.image, accelerator });
    await (await guest.connectAgent()).close();
    const report = await waitForProbeReport(guest, 60_000);
    if (!report) throw new Error(`no PROBE report on the console:\n${guest.console().slice(-3000)}`);
    console.log(`agent RSS in the guest: ${(report.agentRssKiB / 1024).toFixed(1)} MiB; ready at guest uptime ${report.agentReadyUptime} s`);

    expect(report.orphanAdoptedByInit).toBe(true);
    expect(report.zombiesOfInit).toBe(0);
    expect(report.modules).toEqual(expect.arrayContaining(['virtio_console', '9p', '9pnet_virtio', 'overlay', 'vmw_vsock_virtio_transport']));
    expect(report.subtreeControl.split(' ')).toEqual(expect.arrayContaining(['cpu', 'memory', 'pids', 'io', 'cpuset']));
    expect(report.mounts).toEqual(expect.arrayContaining(['/proc proc', '/sys sysfs', '/dev devtmpfs', '/dev/pts devpts', '/sys/fs/cgroup cgroup2', '/run tmpfs']));
    expect(report.virtioPortLink).toMatch(/^\.\.\/vport\d+p\d+$/);
    expect(report.loopbackUp).toBe(true);
    // The root is the image, read-only and mapped with DAX (not copied into guest RAM).
    expect(report.root).toMatchObject({ device: '/dev/pmem0', type: 'ext4' });
    expect(report.root.options).toEqual(expect.arrayContaining(['ro', 'dax=always']));
    // pivot_root works from the image's root, a real mount.
    expect(report.container).toMatchObject({ ran: true, status: 125 });
  }, 300_000);

  it('PID 1 powers the VM off when the agent exits', async () => {
    const agentDir = exitingAgentDir(3);
    tempDirs.push(agentDir);
    const exiting = await buildGuestImage({ outDir: join(repo, 'build', 'guest-exit'), cacheDir, agentDir });
    guest = await bootGuest({ kernel: exiting.vmlinux, initrd: exiting.initrd, accelerator });
    const exit = await guest.vm.wait();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(guest.console()).toMatch(/agent exited; powering off/);
  }, 180_000);
});
