import { CriClient } from '@kata-ts/cri-client';
import { DeployError } from './deploy-error';

export interface ContainerdInfo {
  version: string;
  /** The CRI runtime handlers containerd has (its config's runtimes). */
  handlers: string[];
}

/** Asks containerd's CRI service for its version and its runtime handlers (`crictl info`'s config). */
export async function containerdInfo(socket: string, timeoutMs = 5_000): Promise<ContainerdInfo> {
  const client = await CriClient.connect(socket, { connectTimeoutMs: timeoutMs, timeoutMs });
  try {
    const { runtimeVersion } = await client.runtime.version({ version: 'v1' });
    const { info } = await client.runtime.status({ verbose: true });
    const config = JSON.parse(info.config ?? '{}') as { containerd?: { runtimes?: Record<string, unknown> } };
    return { version: runtimeVersion, handlers: Object.keys(config.containerd?.runtimes ?? {}) };
  } finally {
    client.close();
  }
}

/**
 * Waits until containerd answers with `handler` listed (want true) or not (false): after a
 * restart it takes a moment, and a config it cannot load keeps it down.
 */
export async function waitForHandler(socket: string, handler: string, want: boolean, timeoutMs: number): Promise<ContainerdInfo> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const info = await containerdInfo(socket);
      if (info.handlers.includes(handler) === want) return info;
      last = `containerd ${info.version} answers with runtimes [${info.handlers.join(', ')}]`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new DeployError('RUNTIME_NOT_LISTED', `${socket}: runtime ${handler} ${want ? 'not listed' : 'still listed'} after ${timeoutMs / 1000} s (${last})`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
