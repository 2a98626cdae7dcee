import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { containerConfig, criLogText, podSandboxConfig, cri, type CriClient } from '@kata-ts/cri-client';

export interface TwoContainerPod {
  podId: string;
  /** `sleep 3600`: stays up for ExecSync. */
  sleeperId: string;
  /** `uname -r`, then exits. */
  unameId: string;
  /** ms from RunPodSandbox to the first container started (what a pod's users wait for). */
  startMs: number;
  config: cri.PodSandboxConfig;
}

/**
 * Runs the pod both e2e suites share: a host-network pod with `runtimeHandler` ('' = containerd's
 * default, runc) holding a long-running `sleep` and a `uname -r` that exits.
 */
export async function runTwoContainerPod(client: CriClient, options: { name: string; runtimeHandler: string; image: string; logDir: string }): Promise<TwoContainerPod> {
  const config = podSandboxConfig({ name: options.name, logDirectory: options.logDir });
  const t0 = performance.now();
  const { podSandboxId: podId } = await client.runtime.runPodSandbox({ config, runtimeHandler: options.runtimeHandler });
  const create = async (name: string, command: string[]) => {
    const c = containerConfig({ name, image: options.image, command, logPath: `${options.name}-${name}.log` });
    return (await client.runtime.createContainer({ podSandboxId: podId, config: c, sandboxConfig: config })).containerId;
  };
  const sleeperId = await create('sleeper', ['sleep', '3600']);
  await client.runtime.startContainer({ containerId: sleeperId });
  const startMs = performance.now() - t0;
  const unameId = await create('uname', ['uname', '-r']);
  await client.runtime.startContainer({ containerId: unameId });
  return { podId, sleeperId, unameId, startMs, config };
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

/** The stdout the CRI plugin logged for a container (its status names the log file). */
export function containerStdout(status: cri.ContainerStatus): string {
  return criLogText(readFileSync(status.logPath, 'utf8'));
}
