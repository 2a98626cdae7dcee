import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@kata-ts/logging';
import { hybridVsockOk, readHybridVsockRequest, type ChannelClient } from '@kata-ts/agent-transport';

export interface ClientContext {
  channel: ChannelClient;
  listenPath: string;
  /** The next host-side port number for "OK <n>" (Firecracker counts up from 2^30). */
  nextHostPort(): number;
  log: Logger;
  handshakeTimeoutMs: number;
  /** How long the guest may take to answer and accept a port before the client is closed without OK. */
  acceptTimeoutMs: number;
}

/**
 * One hybrid-vsock client: `CONNECT <port>\n` → a port-routed mux stream → `OK <n>\n` → bytes
 * both ways with backpressure (pipe) and half-close (FIN follows end()). A port the guest
 * refuses, or a guest that does not answer and accept within acceptTimeoutMs (the agent is still
 * booting), closes the client without OK, which a dialer reads as "not ready, retry". Keep
 * acceptTimeoutMs below the dialers' handshake timeout (5 s).
 */
export async function serveClient(client: Socket, context: ClientContext): Promise<void> {
  client.on('error', (err) => context.log.debug({ err }, 'client socket error'));
  let port: number;
  try {
    port = await readHybridVsockRequest(client, context.listenPath, context.handshakeTimeoutMs);
  } catch (err) {
    context.log.warn({ err }, 'bad hybrid-vsock request');
    client.destroy();
    return;
  }
  let stream: Duplex;
  try {
    stream = await context.channel.connect(port, { timeoutMs: context.acceptTimeoutMs });
  } catch (err) {
    context.log.info({ err, port }, 'guest did not accept the port');
    client.end();
    return;
  }
  if (client.destroyed) {
    stream.destroy();
    return;
  }
  const hostPort = context.nextHostPort();
  context.log.debug({ port, hostPort }, 'connected');
  client.write(hybridVsockOk(hostPort));
  splice(client, stream);
}

/** Joins two duplexes: data and FIN flow both ways; an error or abort on one side aborts the other. */
function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const abort = () => {
    a.destroy();
    b.destroy();
  };
  b.on('error', abort);
  a.on('error', abort);
  // 'close' after both directions finished is the normal end; before that it is an abort.
  a.on('close', () => (a.readableEnded && a.writableFinished ? undefined : b.destroy()));
  b.on('close', () => (b.readableEnded && b.writableFinished ? undefined : a.destroy()));
}
