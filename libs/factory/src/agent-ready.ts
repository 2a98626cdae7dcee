import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT_PORT } from '@kata-ts/hypervisor';
import type { Logger } from '@kata-ts/logging';
import { health } from '@kata-ts/protocols';
import { Client, createClient } from '@kata-ts/ttrpc';
import { ChannelClient, connectUnix } from '@kata-ts/vsock';

/**
 * Waits until the agent in a booting VM answers grpc.Health/Check SERVING over the VM's
 * virtio-serial chardev (the same mux + port routing kata-proxy uses), then disconnects.
 */
export async function waitForAgentReady(channelSocket: string, timeoutMs: number, log: Logger): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const remaining = () => Math.max(1, Math.ceil(deadline - performance.now()));
  const socket = await connectUnix(channelSocket, AbortSignal.timeout(remaining()));
  const channel = new ChannelClient(socket, { logger: log });
  try {
    for (;;) {
      try {
        const client = new Client(await channel.connect(AGENT_PORT, { timeoutMs: remaining() }));
        try {
          const reply = await createClient(health.HealthDefinition, client).check({ service: '' }, { signal: AbortSignal.timeout(remaining()) });
          if (reply.status === health.HealthCheckResponse_ServingStatus.SERVING) return;
        } finally {
          await client.close();
        }
      } catch (err) {
        // A stream the guest lost while (re)opening its port is retried; anything else after the
        // deadline is final.
        if (performance.now() >= deadline || channel.closed) throw err;
      }
      await sleep(50);
    }
  } finally {
    channel.close();
    socket.destroy();
  }
}
