import { lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '@kata-ts/logging';
import { ChannelClient, createDialer } from '@kata-ts/agent-transport';
import { serveClient } from './client-connection';

export interface ProxyOptions {
  /** QEMU's virtio-serial chardev unix socket (`-chardev socket,path=P,server=on,wait=off`). */
  channelPath: string;
  /** The hybrid-vsock unix socket to serve. */
  listenPath: string;
  log: Logger;
  /** How long to wait for QEMU's socket to appear. Default 30 000 ms. */
  channelTimeoutMs?: number;
  /** How long a client has to send its CONNECT line. Default 5000 ms. */
  handshakeTimeoutMs?: number;
  /** How long the guest may take to accept a port before the client is closed without OK.
   *  Default 3000 ms: below a dialer's 5 s handshake timeout, so the dialer just retries. */
  acceptTimeoutMs?: number;
}

/** Why the proxy stopped. */
export type ProxyExit = 'channel-closed' | 'stopped';

export interface Proxy {
  /** Resolves once the proxy has stopped and removed its socket. */
  readonly done: Promise<ProxyExit>;
  /** Stops serving, drops every connection, removes the socket. Idempotent. */
  stop(): Promise<ProxyExit>;
}

/** Firecracker numbers host-side vsock connections from 2^30 upwards; we answer alike. */
const FIRST_HOST_PORT = 1 << 30;

/**
 * kata-proxy: a mux channel client over QEMU's virtio-serial chardev, and a hybrid-vsock server
 * turning each `CONNECT <port>` into a port-routed mux stream. Resolves once both the
 * channel is connected and the socket listens.
 */
export async function startProxy(options: ProxyOptions): Promise<Proxy> {
  const { log, listenPath } = options;
  const socket = await createDialer(`unix://${options.channelPath}`).dial({ timeoutMs: options.channelTimeoutMs ?? 30_000 });
  // Streams wait until the guest's mux session answers a ping; a session the guest restarts
  // is replaced on the same connection. Only the chardev closing (QEMU exited) ends the proxy.
  const channel = new ChannelClient(socket, { logger: log });
  channel.on('reset', (err) => log.warn({ err }, 'guest restarted its mux session: open streams dropped'));
  log.info({ channel: options.channelPath }, 'channel connected');

  let hostPort = FIRST_HOST_PORT;
  const clients = new Set<Socket>();
  removeStaleSocket(listenPath);
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    clients.add(client);
    client.once('close', () => clients.delete(client));
    void serveClient(client, {
      channel,
      listenPath,
      log,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 5000,
      acceptTimeoutMs: options.acceptTimeoutMs ?? 3000,
      nextHostPort: () => (hostPort = hostPort >= 0xffffffff ? FIRST_HOST_PORT : hostPort + 1),
    });
  });
  try {
    await listenOn(server, listenPath);
  } catch (err) {
    channel.close();
    throw err;
  }
  log.info({ listen: listenPath }, 'serving hybrid vsock');

  let stopping: Promise<ProxyExit> | undefined;
  let resolveDone: (exit: ProxyExit) => void = () => {};
  const done = new Promise<ProxyExit>((resolve) => (resolveDone = resolve));
  const stop = (exit: ProxyExit): Promise<ProxyExit> =>
    (stopping ??= (async () => {
      log.info({ reason: exit }, 'stopping');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const client of clients) client.destroy();
      channel.close();
      await closed;
      removeStaleSocket(listenPath);
      resolveDone(exit);
      return exit;
    })());
  channel.once('close', () => void stop('channel-closed'));
  return { done, stop: () => stop('stopped') };
}

function listenOn(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A socket file of a dead proxy would make listen() fail; ours is removed again on stop. */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Nothing there.
  }
}
