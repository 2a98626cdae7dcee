import type { Logger } from '@kata-ts/logging';
import { ChannelClient, createDialer, serveHybridVsock, type HybridVsockServer } from '@kata-ts/agent-transport';

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
  /** How long the guest may take to accept a port before the client is closed without OK (default 3000 ms). */
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
  let server: HybridVsockServer;
  try {
    server = await serveHybridVsock({
      connect: (port, timeoutMs) => channel.connect(port, { timeoutMs }),
      listenPath,
      log,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      acceptTimeoutMs: options.acceptTimeoutMs,
    });
  } catch (err) {
    channel.close();
    throw err;
  }

  let stopping: Promise<ProxyExit> | undefined;
  let resolveDone: (exit: ProxyExit) => void = () => {};
  const done = new Promise<ProxyExit>((resolve) => (resolveDone = resolve));
  const stop = (exit: ProxyExit): Promise<ProxyExit> =>
    (stopping ??= (async () => {
      log.info({ reason: exit }, 'stopping');
      const closed = server.close();
      channel.close();
      await closed;
      resolveDone(exit);
      return exit;
    })());
  channel.once('close', () => void stop('channel-closed'));
  return { done, stop: () => stop('stopped') };
}
