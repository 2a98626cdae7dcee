import { openChannel, serveHybridVsock, type AgentChannel, type GuestEndpoint } from '@kata-ts/agent-transport';
import type { Logger } from '@kata-ts/logging';
import { ProxyProcess } from './proxy-process';

/**
 * What holds QEMU's serial agent channel (a host without vhost-vsock) and serves hybrid vsock on
 * the sandbox's proxy.sock, which `kata-runtime exec` dials: kata-proxy, in its own process, when
 * `[proxy.kata] path` names it; else the shim itself (Kata 2.x has no proxy process either), whose
 * agent client then uses the channel directly, without a socket between them.
 */
export interface ChannelGateway {
  /** kata-proxy's pid; 0 when the shim holds the channel. */
  readonly pid: number;
  /** Resolves if kata-proxy exits; none for the shim's own (the VM's exit ends the channel). */
  readonly exited: Promise<void> | undefined;
  /** How the shim's agent client reaches the guest. */
  readonly agentRoute: AgentChannel | GuestEndpoint;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** kata-proxy's executable; '' for the shim to hold the channel itself. */
  proxyPath: string;
  /** QEMU's channel (serial kind): its chardev socket and the agent's port. */
  channel: Extract<AgentChannel, { kind: 'serial' }>;
  /** The hybrid-vsock socket to serve. */
  listenSocket: string;
  sandboxId: string;
  /** kata-proxy's log. */
  logFile: string;
  timeoutMs: number;
  log: Logger;
  /** kata-proxy's pid, in the tick it was spawned. */
  onSpawn?: (pid: number) => void;
}

export async function startGateway(o: GatewayOptions): Promise<ChannelGateway> {
  if (o.proxyPath) {
    const proxy = await ProxyProcess.start({
      path: o.proxyPath,
      sandboxId: o.sandboxId,
      channelSocket: o.channel.socketPath,
      listenSocket: o.listenSocket,
      logFile: o.logFile,
      timeoutMs: o.timeoutMs,
      onSpawn: o.onSpawn,
    });
    return { pid: proxy.pid, exited: proxy.exited, agentRoute: { kind: 'hybrid-vsock', socketPath: o.listenSocket, port: o.channel.port }, stop: () => proxy.stop() };
  }
  const endpoint = await openChannel(o.channel, { timeoutMs: o.timeoutMs, logger: o.log });
  try {
    const server = await serveHybridVsock({ connect: (port, timeoutMs) => endpoint.connect({ port, timeoutMs }), listenPath: o.listenSocket, log: o.log });
    return {
      pid: 0,
      exited: undefined,
      agentRoute: endpoint,
      stop: async () => {
        await server.close();
        endpoint.close();
      },
    };
  } catch (err) {
    endpoint.close();
    throw err;
  }
}
