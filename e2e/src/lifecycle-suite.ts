import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cri, type CriClient } from '@kata-ts/cri-client';
import { expect, it } from 'vitest';
import { containerStdout, startContainer, waitExited, type TwoContainerPod } from './two-container-pod';

/** Runs `cmd` in the container until it exits 0 (e.g. a readiness marker). */
async function execUntilOk(client: CriClient, containerId: string, cmd: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await client.runtime.execSync({ containerId, cmd, timeout: 30 })).exitCode !== 0) {
    if (Date.now() > deadline) throw new Error(`${cmd.join(' ')} never succeeded in ${containerId}`);
    await sleep(100);
  }
}

/**
 * Container lifecycle checks every runtime handler must pass the same way (runc is the reference),
 * run inside a pod from runTwoContainerPod while it is up. `ctx` is read when each test runs.
 */
export function containerLifecycleTests(ctx: () => { client: CriClient; pod: TwoContainerPod }): void {
  it('a container has a PID namespace of its own by default (its command is PID 1)', async () => {
    const { client, pod } = ctx();
    const ps = await client.runtime.execSync({ containerId: pod.sleeperId, cmd: ['ps', '-o', 'pid,args'], timeout: 30 });
    expect(ps.stdout.toString()).toMatch(/^\s*1 sleep 3600$/m);
    expect(ps.stdout.toString()).not.toContain('sleep 2147483647');
  });

  // PID mode POD (Kubernetes `shareProcessNamespace: true`): the container joins the sandbox's PID
  // namespace, which CRI names as /proc/<sandbox pid>/ns/pid, so the pause process is visible.
  it('with shareProcessNamespace a container sees the pod’s processes', async () => {
    const { client, pod } = ctx();
    const id = await startContainer(client, pod, 'shared-pid', ['sleep', '601'], { sharePodPid: true });
    try {
      const ps = await client.runtime.execSync({ containerId: id, cmd: ['ps', '-o', 'pid,args'], timeout: 30 });
      expect(ps.stdout.toString()).toContain('sleep 601');
      expect(ps.stdout.toString()).toContain('sleep 2147483647');
    } finally {
      await client.runtime.stopContainer({ containerId: id, timeout: 0 });
      await client.runtime.removeContainer({ containerId: id });
    }
  });

  // A pod network's pod is named by its PodSandboxConfig; a host-network pod keeps the node's UTS
  // namespace (no hostname in the spec: kubelet sets none).
  it('a pod’s containers carry the pod’s hostname, or the node’s on the host network', async () => {
    const { client, pod } = ctx();
    const name = await client.runtime.execSync({ containerId: pod.sleeperId, cmd: ['hostname'], timeout: 30 });
    expect(name.stdout.toString().trim()).toBe(pod.config.hostname || hostname());
  });

  it('a failing container reports exit code 7, reason Error and its stderr', async () => {
    const { client, pod } = ctx();
    const id = await startContainer(client, pod, 'fail', ['sh', '-c', 'echo to-stderr >&2; exit 7']);
    const status = await waitExited(client, id);
    expect(status).toMatchObject({ exitCode: 7, reason: 'Error' });
    expect(containerStdout(status, 'stderr')).toBe('to-stderr\n');
  });

  it('StopContainer delivers SIGTERM (exit 0, not 137); RemoveContainer removes it', async () => {
    const { client, pod } = ctx();
    const script = 'trap "exit 0" TERM; touch /tmp/ready; sleep 600 & wait';
    const id = await startContainer(client, pod, 'graceful', ['sh', '-c', script]);
    await execUntilOk(client, id, ['test', '-e', '/tmp/ready']);
    await client.runtime.stopContainer({ containerId: id, timeout: 30 });
    expect((await client.runtime.containerStatus({ containerId: id })).status).toMatchObject({ state: cri.ContainerState.CONTAINER_EXITED, exitCode: 0 });
    await client.runtime.removeContainer({ containerId: id });
    await expect(client.runtime.containerStatus({ containerId: id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const { containers } = await client.runtime.listContainers({ filter: { podSandboxId: pod.podId } });
    expect(containers.map((c) => c.id)).not.toContain(id);
  });

  it('ContainerStats reports the running container’s memory and CPU', async () => {
    const { client, pod } = ctx();
    const { stats } = await client.runtime.containerStats({ containerId: pod.sleeperId });
    expect(stats?.attributes?.id).toBe(pod.sleeperId);
    expect(stats?.memory?.workingSetBytes?.value ?? 0).toBeGreaterThan(0);
    expect(stats?.cpu?.usageCoreNanoSeconds?.value ?? 0).toBeGreaterThan(0);
  });

  it('a container memory limit reaches its own cgroup (memory.max in v2, limit_in_bytes in v1) and can be resized', async () => {
    const { client, pod } = ctx();
    const id = await startContainer(client, pod, 'limited', ['sleep', '600'], { memoryLimitBytes: 64 << 20 });
    // v2: the container's own cgroup, the path from /proc/self/cgroup ("/" in the kata guest, which
    // gives each container a cgroup namespace); v1 (this host's runc): runc mounts the container's
    // memory cgroup.
    const read = [
      'if [ -f /sys/fs/cgroup/cgroup.controllers ]; then cat "/sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)/memory.max"',
      'else cat /sys/fs/cgroup/memory/memory.limit_in_bytes; fi',
    ].join('; ');
    const r = await client.runtime.execSync({ containerId: id, cmd: ['sh', '-c', read], timeout: 30 });
    expect(r.stdout.toString().trim()).toBe(String(64 << 20));
    // In-place resize (UpdateContainerResources → the runtime's Update) reaches the same file.
    await client.runtime.updateContainerResources({ containerId: id, linux: { memoryLimitInBytes: 128 << 20 } });
    const resized = await client.runtime.execSync({ containerId: id, cmd: ['sh', '-c', read], timeout: 30 });
    expect(resized.stdout.toString().trim()).toBe(String(128 << 20));
    await client.runtime.stopContainer({ containerId: id, timeout: 0 });
    await client.runtime.removeContainer({ containerId: id });
  });

  it('a container over its memory limit is reported OOMKilled with exit code 137', async () => {
    const { client, pod } = ctx();
    // The shell holds 128 MiB in a variable against a 32 MiB limit; the OOM killer takes it (PID 1).
    const hog = 'x=$(head -c 134217728 /dev/zero | tr "\\0" a); echo ${#x}';
    const id = await startContainer(client, pod, 'oom', ['sh', '-c', hog], { memoryLimitBytes: 32 << 20 });
    expect(await waitExited(client, id, 120_000)).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
  });

  it('ExecSync past its timeout fails instead of hanging; the container lives on', async () => {
    const { client, pod } = ctx();
    const err = await client.runtime.execSync({ containerId: pod.sleeperId, cmd: ['sleep', '30'], timeout: 1 }, { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ method: 'ExecSync' });
    expect((err as Error).message).toMatch(/timeout|deadline/i);
    expect((await client.runtime.containerStatus({ containerId: pod.sleeperId })).status?.state).toBe(cri.ContainerState.CONTAINER_RUNNING);
  });
}
