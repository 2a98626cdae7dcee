import { lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@kata-ts/logging';
import { hybridVsockOk, readHybridVsockRequest } from './hybrid-vsock-request';

export interface HybridVsockServerOptions {
  /** A stream to a guest port: a ChannelClient's or a GuestEndpoint's connect. */
  connect(port: number, timeoutMs: number): Promise<Duplex>;
  /** The unix socket to serve; a stale socket file is replaced, and it is removed on close. */
  listenPath: string;
  log: Logger;
  /** How long a client has to send its CONNECT line. Default 5000 ms. */
  handshakeTimeoutMs?: number;
  /**
   * How long the guest may take to answer and accept a port before the client is closed without
   * OK. Default 3000 ms: below a dialer's 5 s handshake timeout, so the dialer just retries.
   */
  acceptTimeoutMs?: number;
}

export interface HybridVsockServer {
  /** Stops listening, drops every client and removes the socket. Idempotent. */
  close(): Promise<void>;
}

/** Firecracker numbers host-side vsock connections from 2^30 upwards; we answer alike. */
const FIRST_HOST_PORT = 1 << 30;

/**
 * The host side of hybrid vsock (Firecracker's and Cloud Hypervisor's): each client's
 * `CONNECT <port>\n` becomes a stream to that guest port, answered `OK <n>\n`, then bytes both
 * ways. kata-proxy serves it in its own process; the shim serves it itself when it holds the
 * channel. Resolves once the socket listens.
 */
export async function serveHybridVsock(options: HybridVsockServerOptions): Promise<HybridVsockServer> {
  const { listenPath, log } = options;
  let hostPort = FIRST_HOST_PORT;
  const clients = new Set<Socket>();
  removeStaleSocket(listenPath);
  const server = createServer({ allowHalfOpen: true }, (client) => {
    clients.add(client);
    client.once('close', () => clients.delete(client));
    void serveClient(client, options, () => (hostPort = hostPort >= 0xffffffff ? FIRST_HOST_PORT : hostPort + 1));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  log.info({ listen: listenPath }, 'serving hybrid vsock');
  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const client of clients) client.destroy();
        await closed;
        removeStaleSocket(listenPath);
      })()),
  };
}

/**
 * One client: `CONNECT <port>\n` → a stream to the port → `OK <n>\n` → bytes both ways with
 * backpressure (pipe) and half-close (FIN follows end()). A port the guest refuses, or a guest
 * that does not answer and accept within acceptTimeoutMs (the agent is still booting), closes the
 * client without OK, which a dialer reads as "not ready, retry".
 */
async function serveClient(client: Socket, options: HybridVsockServerOptions, nextHostPort: () => number): Promise<void> {
  const { log } = options;
  client.on('error', (err) => log.debug({ err }, 'client socket error'));
  let port: number;
  try {
    port = await readHybridVsockRequest(client, options.listenPath, options.handshakeTimeoutMs ?? 5000);
  } catch (err) {
    log.warn({ err }, 'bad hybrid-vsock request');
    client.destroy();
    return;
  }
  let stream: Duplex;
  try {
    stream = await options.connect(port, options.acceptTimeoutMs ?? 3000);
  } catch (err) {
    log.info({ err, port }, 'guest did not accept the port');
    client.end();
    return;
  }
  if (client.destroyed) {
    stream.destroy();
    return;
  }
  const hostPort = nextHostPort();
  log.debug({ port, hostPort }, 'connected');
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

/** A socket file left by a dead server would make listen() fail; ours is removed again on close. */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Nothing there.
  }
}
