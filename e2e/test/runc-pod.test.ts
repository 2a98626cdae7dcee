// The reference: the same two-container pod through containerd's CRI with its default handler (runc).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cri } from '@kata-ts/cri-client';
import { BUSYBOX_IMAGE, findHarnessProcesses, startContainerd, type CriContainerd } from '@kata-ts/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAllGone, shimSocketOf } from '../src/leaks';
import { containerLifecycleTests } from '../src/lifecycle-suite';
import { containerStdout, runTwoContainerPod, waitExited, type TwoContainerPod } from '../src/two-container-pod';

let containerd: CriContainerd;
let pod: TwoContainerPod | undefined;

beforeAll(async () => {
  containerd = await startContainerd({ cri: {} });
});

afterAll(async () => {
  if (pod) await containerd.cri.client.runtime.removePodSandbox({ podSandboxId: pod.podId }).catch(() => undefined);
  await containerd?.stop();
});

describe('CRI pod with the default handler (runc)', () => {
  it('serves runtime.v1 with RuntimeReady and the imported images', async () => {
    expect(await containerd.cri.client.runtime.version({ version: 'v1' })).toMatchObject({ runtimeName: 'containerd', runtimeApiVersion: 'v1' });
    const { status } = await containerd.cri.client.runtime.status({});
    expect(status?.conditions.find((c) => c.type === 'RuntimeReady')?.status).toBe(true);
    const { images } = await containerd.cri.client.image.listImages({});
    expect(images.flatMap((i) => i.repoTags)).toEqual(expect.arrayContaining([BUSYBOX_IMAGE, 'registry.k8s.io/pause:3.6']));
    expect((await containerd.cri.client.image.imageStatus({ image: { image: 'no/such:image' } })).image).toBeUndefined();
  });

  it('runs a sleeper and a uname container in one pod; exec, status and exit codes', async () => {
    pod = await runTwoContainerPod(containerd.cri.client, { name: 'runc-pod', runtimeHandler: '', image: BUSYBOX_IMAGE, logDir: containerd.cri.logDir });
    console.log(`runc pod: RunPodSandbox ${pod.sandboxMs.toFixed(0)} ms, first container started after ${pod.startMs.toFixed(0)} ms`);

    const uname = await waitExited(containerd.cri.client, pod.unameId);
    expect(uname).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(containerStdout(uname).trim()).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());

    const exec = await containerd.cri.client.runtime.execSync({ containerId: pod.sleeperId, cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'], timeout: 30 });
    expect({ stdout: exec.stdout.toString(), stderr: exec.stderr.toString(), exitCode: exec.exitCode }).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });

    const sleeper = (await containerd.cri.client.runtime.containerStatus({ containerId: pod.sleeperId })).status;
    expect(sleeper?.state).toBe(cri.ContainerState.CONTAINER_RUNNING);
    const { containers } = await containerd.cri.client.runtime.listContainers({ filter: { podSandboxId: pod.podId } });
    expect(containers.map((c) => c.metadata?.name).sort()).toEqual(['sleeper', 'uname']);
    const { items } = await containerd.cri.client.runtime.listPodSandbox({});
    expect(items.find((p) => p.id === pod!.podId)).toMatchObject({ state: cri.PodSandboxState.SANDBOX_READY, runtimeHandler: '' });
    // One runc shim serves the whole pod (its start groups by io.kubernetes.cri.sandbox-id).
    expect(findHarnessProcesses(containerd.dir).filter((p) => p.comm === 'containerd-shim')).toHaveLength(1);
  });

  containerLifecycleTests(() => ({ client: containerd.cri.client, pod: pod! }));

  it('StopPodSandbox kills the sleeper; RemovePodSandbox leaves no process, mount or state', async () => {
    const { podId, sleeperId } = pod!;
    const shimSocket = shimSocketOf(containerd.dir, podId);
    expect(existsSync(shimSocket)).toBe(true);
    await containerd.cri.client.runtime.stopPodSandbox({ podSandboxId: podId });
    const sleeper = (await containerd.cri.client.runtime.containerStatus({ containerId: sleeperId })).status;
    expect(sleeper).toMatchObject({ state: cri.ContainerState.CONTAINER_EXITED, exitCode: 137 });
    expect((await containerd.cri.client.runtime.podSandboxStatus({ podSandboxId: podId })).status?.state).toBe(cri.PodSandboxState.SANDBOX_NOTREADY);
    await containerd.cri.client.runtime.removePodSandbox({ podSandboxId: podId });
    pod = undefined;
    await expect(containerd.cri.client.runtime.podSandboxStatus({ podSandboxId: podId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await containerd.cri.client.runtime.listContainers({})).containers).toEqual([]);
    assertAllGone(containerd);
    expect(existsSync(shimSocket)).toBe(false);
  });
});
