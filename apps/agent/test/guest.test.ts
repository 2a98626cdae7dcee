import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentClient } from '@kata-ts/agent-client';
import { sharedDirStorage } from '@kata-ts/guest-contract';
import { bootGuest, type BootedGuest } from '@kata-ts/testing';
import { Code } from '@kata-ts/ttrpc';
import type { OciSpec } from '@kata-ts/oci';
import { busyboxSpec, buildRootfs, readAll, readUntilQuiet, WAIT_FOR_PID1 } from './harness';
import { hasGuestImage, initrdWithThisAgent } from './guest-vm';

/** The core cases again, inside the real guest VM (cgroup v2, 9p share, serial channel). */
describe.skipIf(!hasGuestImage || process.getuid?.() !== 0)('kata-agent inside the guest VM', () => {
  // Made in beforeAll: a run that filters these tests out must not leave a directory behind.
  let dir: string;
  let share: string;
  let guest: BootedGuest | undefined;
  let rpc: AgentClient;

  const run = async (id: string, args: string[], edit: (s: OciSpec) => void = () => {}, sandboxPidns = false) => {
    mkdirSync(join(share, id));
    execFileSync('cp', ['-a', join(dir, 'busybox/rootfs'), join(share, id, 'rootfs')]);
    const spec = busyboxSpec(args);
    edit(spec);
    await rpc.createContainer(id, id, spec, { timeoutMs: 60_000, sandboxPidns });
    await rpc.startContainer(id);
  };
  const stdout = (id: string, execId = id) => readAll(async (len) => ({ data: await rpc.readStdout(id, execId, len) }));
  const wait = (id: string, execId = id) => rpc.waitProcess(id, execId);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agent-vm-'));
    share = join(dir, 'share');
    mkdirSync(share);
    buildRootfs(join(dir, 'busybox'));
    guest = await bootGuest({ initrd: await initrdWithThisAgent(dir), sharedDir: share, kernelParams: ['agent.log=warn'] });
    rpc = await guest.connectAgent();
    await rpc.createSandbox({ sandboxId: 'vmsb', hostname: 'guestpod', dns: ['nameserver 10.0.2.3'], sandboxPidns: false, kernelModules: [], storages: [sharedDirStorage()] });
  }, 180_000);

  afterAll(async () => {
    await rpc?.close();
    await guest?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('serves health over the serial channel and runs a container from the 9p share', async () => {
    await expect(rpc.check(10_000)).resolves.toBeUndefined();
    await rpc.setGuestDateTime(new Date());
    // What the shim does for a VM resumed from a template.
    await rpc.reseedRandomDev(randomBytes(512));
    await expect(rpc.reseedRandomDev(Buffer.alloc(0))).rejects.toMatchObject({ code: Code.INVALID_ARGUMENT, message: expect.stringContaining('data: 0 bytes') });
    await run('hello', ['sh', '-c', 'echo hi; hostname; cat /etc/resolv.conf; grep guestpod /etc/hosts; cat /sys/class/net/lo/flags; exit 3']);
    // lo is up (IFF_UP|IFF_LOOPBACK): the container shares the guest's (the pod's) network.
    expect((await stdout('hello')).toString()).toBe('hi\nguestpod\nnameserver 10.0.2.3\n127.0.1.1\tguestpod\n0x9\n');
    expect(await wait('hello')).toBe(3);
    await rpc.removeContainer('hello', 10);
  }, 60_000);

  it('round-trips stdin, carries 10 MB of stdout, reports signals as 128+n', async () => {
    await run('cat', ['cat']);
    const out = stdout('cat');
    await rpc.writeStdin('cat', 'cat', Buffer.from('ping\n'));
    await rpc.closeStdin('cat', 'cat');
    expect((await out).toString()).toBe('ping\n');
    await run('big', ['seq', '1', '1400000']);
    const big = await stdout('big');
    expect(big.length).toBe(10_088_896);
    expect(big.subarray(-16).toString()).toBe('1399999\n1400000\n');
    await run('sleeper', ['sleep', '1000']);
    await rpc.signalProcess('sleeper', '', 9);
    expect(await wait('sleeper')).toBe(137);
    for (const id of ['cat', 'big', 'sleeper']) await rpc.removeContainer(id, 10);
  }, 120_000);

  it('gives a tty and shares a pid namespace between two containers', async () => {
    await run('tty', ['sh', '-c', 'tty; stty size'], (s) => {
      s.process!.terminal = true;
      s.process!.consoleSize = { height: 25, width: 90 };
    });
    expect((await stdout('tty')).toString()).toBe('/dev/pts/0\r\n25 90\r\n');
    await run('pod-a', ['sleep', '1001'], () => {}, true);
    await run('pod-b', ['sh', '-c', WAIT_FOR_PID1 + 'ps -o pid,args'], () => {}, true);
    expect((await stdout('pod-b')).toString()).toMatch(/^\s*1 sleep 1001$/m);
    for (const id of ['tty', 'pod-b', 'pod-a']) await rpc.removeContainer(id, 10);
  }, 60_000);

  it('enforces a cgroup v2 memory limit, reports the OOM kill, stats, pause/resume', async () => {
    const oom = rpc.getOOMEvent();
    await run('oom', ['tail', '/dev/zero'], (s) => (s.linux!.resources = { memory: { limit: 24 << 20 } }));
    expect(await wait('oom')).toBe(137);
    expect(await oom).toBe('oom');
    await rpc.removeContainer('oom', 10);

    await run('limited', ['sh', '-c', 'while true; do echo tick; sleep 0.1; done'], (s) => (s.linux!.resources = { memory: { limit: 48 << 20 }, pids: { limit: 20 } }));
    const stats = (await rpc.statsContainer('limited')).cgroupStats!;
    expect(stats.memoryStats?.usage?.limit).toBe(String(48 << 20));
    expect(stats.pidsStats?.limit).toBe('20');
    expect(stats.cpuStats?.cpuUsage?.totalUsage).toBeGreaterThan(0);
    await rpc.readStdout('limited', 'limited', 16); // it runs
    await rpc.pauseContainer('limited');
    const { pending } = await readUntilQuiet(async () => ({ data: await rpc.readStdout('limited', 'limited', 1 << 20) }), 1500);
    await rpc.resumeContainer('limited');
    expect(Buffer.from((await pending).data).toString()).toMatch(/tick/);
    await rpc.removeContainer('limited', 10);

    // A container sees its own cgroup as the root (a cgroup namespace, as runc on cgroup v2): the
    // guest's tree, and so the removed containers' cgroups, are out of its sight.
    await run('cgcheck', ['sh', '-c', 'cat /proc/self/cgroup; find /sys/fs/cgroup -mindepth 1 -maxdepth 1 -type d | wc -l'], (s) => s.mounts!.push({ destination: '/sys/fs/cgroup', type: 'cgroup2', source: 'cgroup2', options: ['ro', 'nosuid', 'nodev', 'noexec'] }));
    expect((await stdout('cgcheck')).toString().trim().split('\n')).toEqual(['0::/', '0']);
    await rpc.removeContainer('cgcheck', 10);
  }, 120_000);

  it('destroys the sandbox', async () => {
    await rpc.destroySandbox();
    expect(guest!.console()).not.toMatch(/Kernel panic/);
  }, 30_000);
});
