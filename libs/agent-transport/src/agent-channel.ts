import type { Duplex } from 'node:stream';
import type { Logger } from '@kata-ts/logging';
import { ChannelClient } from './channel-client';
import { createDialer } from './dialer';

/**
 * Where the host reaches a VM's agent, as the hypervisor (or kata-proxy in front of it) describes
 * it; `port` is the agent's. The same channel carries the guest's other ports (the debug console).
 */
export type AgentChannel =
  /** QEMU's unix-socket end of the virtio-serial port: one host client at a time, mux streams
   *  with port headers (kata-proxy holds it for a sandbox; the factory while making a template). */
  | { kind: 'serial'; socketPath: string; port: number }
  /** A unix socket with the CONNECT handshake: kata-proxy, Firecracker, Cloud Hypervisor. */
  | { kind: 'hybrid-vsock'; socketPath: string; port: number }
  /** Kernel vsock (the host has /dev/vhost-vsock). */
  | { kind: 'vsock'; cid: number; port: number };

/** How a channel is named in errors and logs. */
export function describeChannel(channel: AgentChannel): string {
  return channel.kind === 'vsock' ? `vsock ${channel.cid}:${channel.port}` : `${channel.kind} ${channel.socketPath} port ${channel.port}`;
}

/** An open way into one guest: streams to its ports, until closed. */
export interface GuestEndpoint {
  /** The channel, for errors and logs (describeChannel). */
  readonly description: string;
  /** A stream to `port` (default: the agent's), retried while the guest is still starting. */
  connect(options: { port?: number; timeoutMs: number; signal?: AbortSignal }): Promise<Duplex>;
  /** True once nothing more can be connected (the serial channel ended: the VM is gone). */
  readonly closed: boolean;
  /** Releases the channel (for serial, QEMU's chardev connection). Idempotent. */
  close(): void;
}

/**
 * Opens a channel. Socket-based kinds dial per stream; the serial kind connects to QEMU's
 * chardev once (its dialer waits for QEMU to listen) and runs the readiness-pinged mux over it.
 */
export async function openChannel(channel: AgentChannel, options: { timeoutMs: number; signal?: AbortSignal; logger?: Logger }): Promise<GuestEndpoint> {
  if (channel.kind !== 'serial') {
    const address = channel.kind === 'vsock' ? `vsock://${channel.cid}` : `hvsock://${channel.socketPath}`;
    let closed = false;
    return {
      description: describeChannel(channel),
      connect: ({ port = channel.port, timeoutMs, signal }) => createDialer(`${address}:${port}`, { timeoutMs }).dial({ timeoutMs, signal }),
      get closed() {
        return closed;
      },
      close: () => void (closed = true),
    };
  }
  const socket = await createDialer(`unix://${channel.socketPath}`).dial({ timeoutMs: options.timeoutMs, signal: options.signal });
  const client = new ChannelClient(socket, { logger: options.logger });
  return {
    description: describeChannel(channel),
    connect: ({ port = channel.port, timeoutMs, signal }) => client.connect(port, { timeoutMs, signal }),
    get closed() {
      return client.closed;
    },
    close: () => {
      client.close();
      socket.destroy();
    },
  };
}

/** One stream to a guest port over `channel` (the CLI's debug console); closing it releases the channel. */
export async function dialPort(channel: AgentChannel, port: number, options: { timeoutMs: number; signal?: AbortSignal; logger?: Logger }): Promise<Duplex> {
  const endpoint = await openChannel(channel, options);
  try {
    const stream = await endpoint.connect({ port, timeoutMs: options.timeoutMs, signal: options.signal });
    stream.once('close', () => endpoint.close());
    return stream;
  } catch (err) {
    endpoint.close();
    throw err;
  }
}
