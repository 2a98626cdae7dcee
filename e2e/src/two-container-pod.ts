import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { containerConfig, criLogText, podSandboxConfig, cri, type ContainerOptions, type CriClient } from '@kata-ts/cri-client';

export interface TwoContainerPod {
  podId: string;
  /** `sleep 3600`: stays up for ExecSync. */
  sleeperId: string;
  /** `uname -r`, then exits. */
  unameId: string;
  /** ms RunPodSandbox took (for kata: the VM boot and the agent's sandbox). */
  sandboxMs: number;
  /** ms from RunPodSandbox to the first container started (what a pod's users wait for). */
  startMs: number;
  config: cri.PodSandboxConfig;
  image: string;
}

/**
 * Runs the pod both e2e suites share: a pod (host network unless `hostNetwork: false`) with
 * `runtimeHandler` ('' = containerd's default, runc) holding a long-running `sleep` and a
 * `uname -r` that exits.
 */
export async function runTwoContainerPod(
  client: CriClient,
  options: { name: string; runtimeHandler: string; image: string; logDir: string; hostNetwork?: boolean },
): Promise<TwoContainerPod> {
  const config = podSandboxConfig({ name: options.name, logDirectory: options.logDir, hostNetwork: options.hostNetwork });
  const t0 = performance.now();
  const { podSandboxId: podId } = await client.runtime.runPodSandbox({ config, runtimeHandler: options.runtimeHandler });
  const sandboxMs = performance.now() - t0;
  const pod = { podId, config, image: options.image };
  const sleeperId = await startContainer(client, pod, 'sleeper', ['sleep', '3600']);
  const startMs = performance.now() - t0;
  const unameId = await startContainer(client, pod, 'uname', ['uname', '-r']);
  return { ...pod, sleeperId, unameId, sandboxMs, startMs };
}

/** Creates and starts one more container in a pod (logging to `<pod name>-<name>.log`); returns its id. */
export async function startContainer(
  client: CriClient,
  pod: { podId: string; config: cri.PodSandboxConfig; image: string },
  name: string,
  command: string[],
  options: Omit<ContainerOptions, 'name' | 'image' | 'command' | 'logPath'> = {},
): Promise<string> {
  const logPath = `${pod.config.metadata?.name}-${name}.log`;
  const config = containerConfig({ ...options, name, image: pod.image, command, logPath });
  const { containerId } = await client.runtime.createContainer({ podSandboxId: pod.podId, config, sandboxConfig: pod.config });
  await client.runtime.startContainer({ containerId });
  return containerId;
}

/** Polls ContainerStatus until the container has exited; returns that status. */
export async function waitExited(client: CriClient, containerId: string, timeoutMs = 60_000): Promise<cri.ContainerStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status } = await client.runtime.containerStatus({ containerId });
    if (status?.state === cri.ContainerState.CONTAINER_EXITED) return status;
    if (Date.now() > deadline) throw new Error(`container ${containerId} still ${status?.state} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** What the CRI plugin logged for a container's stdout (or stderr); its status names the log file. */
export function containerStdout(status: cri.ContainerStatus, stream: 'stdout' | 'stderr' = 'stdout'): string {
  return criLogText(readFileSync(status.logPath, 'utf8'), stream);
}
