import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT_PORT } from '@kata-ts/hypervisor';
import type { Logger } from '@kata-ts/logging';
import { health } from '@kata-ts/protocols';
import { Client, createClient } from '@kata-ts/ttrpc';
import { ChannelClient, createDialer } from '@kata-ts/vsock';

/** A ttrpc client to the agent of a VM over its virtio-serial channel, with the channel under it. */
export interface AgentChannelConnection {
  client: Client;
  /** Closes the client, the channel and the socket. */
  close(): Promise<void>;
}

/**
 * Connects to the agent in a (booting) VM through its virtio-serial chardev the way kata-proxy
 * does (mux, readiness pings, port 1024), retrying until grpc.Health/Check answers SERVING.
 */
export async function connectAgentChannel(channelSocket: string, timeoutMs: number, log: Logger): Promise<AgentChannelConnection> {
  const deadline = performance.now() + timeoutMs;
  const remaining = () => Math.max(1, Math.ceil(deadline - performance.now()));
  // QEMU creates the chardev socket while it starts: the dialer retries until it listens.
  const socket = await createDialer(`unix://${channelSocket}`).dial({ timeoutMs: remaining() });
  const channel = new ChannelClient(socket, { logger: log });
  const closeChannel = () => {
    channel.close();
    socket.destroy();
  };
  for (;;) {
    let client: Client | undefined;
    try {
      client = new Client(await channel.connect(AGENT_PORT, { timeoutMs: remaining() }));
      const reply = await createClient(health.HealthDefinition, client).check({ service: '' }, { signal: AbortSignal.timeout(remaining()) });
      if (reply.status === health.HealthCheckResponse_ServingStatus.SERVING) {
        const connected = client;
        return {
          client: connected,
          close: async () => {
            await connected.close();
            closeChannel();
          },
        };
      }
    } catch (err) {
      // A stream the guest lost while (re)opening its port is retried until the deadline.
      if (performance.now() >= deadline || channel.closed) {
        await client?.close();
        closeChannel();
        throw err;
      }
    }
    await client?.close();
    await sleep(50);
  }
}

/** Waits until the VM's agent answers, then disconnects (the template is saved with no host attached). */
export async function waitForAgentReady(channelSocket: string, timeoutMs: number, log: Logger): Promise<void> {
  await (await connectAgentChannel(channelSocket, timeoutMs, log)).close();
}
