import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent } from '@kata-ts/protocols';
import { resourcesToProto } from '@kata-ts/oci';
import { CgroupStats } from '../src/cgroups/cgroup-stats';
import { hasCrun, isRoot, runContainer, startTestAgent, stdoutOf, statusOf, readUntilQuiet, WAIT_FOR_PID1, type TestAgent } from './harness';

const cgroups = new CgroupStats();
const freezerState = (id: string) =>
  cgroups.version === 2
    ? readFileSync(`/sys/fs/cgroup/kata/sb2/${id}/cgroup.events`, 'utf8').includes('frozen 1')
    : readFileSync(`/sys/fs/cgroup/freezer/kata/sb2/${id}/freezer.state`, 'utf8').trim() === 'FROZEN';

describe.skipIf(!isRoot || !hasCrun)('kata-agent on the host: cgroups', () => {
  let a: TestAgent;
  beforeAll(async () => {
    a = await startTestAgent();
    await a.agent.createSandbox(agent.CreateSandboxRequest.fromPartial({ sandboxId: 'sb2', hostname: 'res' }));
  }, 30_000);
  afterAll(() => a?.stop(), 30_000);

  it('places the container in kata/<sandbox>/<container> with its limits, and reports stats', async () => {
    await runContainer(a, 'lim', ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 1000 & wait'], {
      edit: (s) => (s.linux!.resources = { memory: { limit: 64 << 20 }, pids: { limit: 50 }, cpu: { quota: 50_000, period: 100_000 } }),
    });
    expect(cgroups.directories('/kata/sb2/lim').length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    const stats = (await a.agent.statsContainer({ containerId: 'lim' })).cgroupStats!;
    expect(stats.memoryStats?.usage?.limit).toBe(String(64 << 20));
    expect(stats.memoryStats!.usage!.usage).toBeGreaterThan(0);
    expect(stats.pidsStats).toEqual({ current: 2, limit: '50' });
    expect(stats.cpuStats!.cpuUsage!.totalUsage).toBeGreaterThan(0);

    await a.agent.updateContainer({ containerId: 'lim', resources: resourcesToProto({ pids: { limit: 77 }, memory: { limit: 96 << 20 } }) });
    const updated = (await a.agent.statsContainer({ containerId: 'lim' })).cgroupStats!;
    expect(updated.pidsStats?.limit).toBe('77');
    expect(updated.memoryStats?.usage?.limit).toBe(String(96 << 20));

    await a.agent.removeContainer({ containerId: 'lim', timeout: 10 });
    expect(cgroups.directories('/kata/sb2/lim')).toEqual([]);
  });

  it('pauses and resumes through the cgroup freezer', async () => {
    await runContainer(a, 'frz', ['sh', '-c', 'while true; do echo tick; sleep 0.05; done']);
    await a.agent.readStdout({ containerId: 'frz', execId: 'frz', len: 16 }); // it runs
    await a.agent.pauseContainer({ containerId: 'frz' });
    expect(freezerState('frz')).toBe(true);
    expect((await statusOf(a.agent.pauseContainer({ containerId: 'frz' }))).code).toBe('FAILED_PRECONDITION');
    // Nothing runs while frozen: what was written before drains, then output stops until resume.
    const { pending } = await readUntilQuiet(() => a.agent.readStdout({ containerId: 'frz', execId: 'frz', len: 1 << 20 }), 500);
    await a.agent.resumeContainer({ containerId: 'frz' });
    expect(freezerState('frz')).toBe(false);
    expect(Buffer.from((await pending).data).toString()).toMatch(/tick/);
    await a.agent.removeContainer({ containerId: 'frz', timeout: 10 });
  });

  it('OOM-kills a process over its memory limit and reports it through GetOOMEvent', async () => {
    const oom = a.agent.getOOMEvent({});
    await runContainer(a, 'oom', ['sh', '-c', 'echo start; tail /dev/zero'], {
      edit: (s) => (s.linux!.resources = { memory: { limit: 32 << 20, swap: 32 << 20 } }),
    });
    expect((await a.agent.waitProcess({ containerId: 'oom', execId: 'oom' })).status).toBe(137);
    expect((await oom).containerId).toBe('oom');
    expect((await stdoutOf(a, 'oom')).toString()).toBe('start\n');
    await a.agent.removeContainer({ containerId: 'oom', timeout: 10 });
  });

  it('mounts sandbox storages and leaves no mounts or cgroups after DestroySandbox', async () => {
    const vol = `${a.dir}/vol`;
    const b = await startTestAgent();
    try {
      await b.agent.createSandbox(
        agent.CreateSandboxRequest.fromPartial({
          sandboxId: 'sb3',
          hostname: 'pod3',
          sandboxPidns: true,
          storages: [{ driver: 'local', source: 'tmpfs', fstype: 'tmpfs', options: ['size=1m'], mountPoint: vol }],
        }),
      );
      expect(b.mounts()).toContain(vol);
      // A sandbox-wide pid namespace: every container joins the first one's.
      await runContainer(b, 'first', ['sleep', '1003']);
      await runContainer(b, 'second', ['sh', '-c', WAIT_FOR_PID1 + 'ps -o pid,args; cat /etc/hosts']);
      const second = (await stdoutOf(b, 'second')).toString();
      expect(second).toMatch(/^\s*1 sleep 1003$/m);
      expect(second).toMatch(/^127\.0\.1\.1\tpod3$/m);
      await runContainer(b, 'vol', ['sh', '-c', 'echo data > /vol/f; cat /vol/f'], {
        edit: (s) => s.mounts!.push({ destination: '/vol', type: 'bind', source: vol, options: ['rbind'] }),
      });
      expect((await stdoutOf(b, 'vol')).toString()).toBe('data\n');
      await runContainer(b, 'left', ['sleep', '1000']);
      await b.agent.destroySandbox({});
      expect(b.mounts()).not.toContain(vol);
      expect(cgroups.directories('/kata/sb3')).toEqual([]);
      expect(existsSync(`${b.root}/containers/left`)).toBe(false);
      expect((await statusOf(b.agent.startContainer({ containerId: 'left' }))).code).toBe('NOT_FOUND');
    } finally {
      await b.stop();
    }
  }, 30_000);
});
