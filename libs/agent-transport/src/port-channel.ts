import type { Duplex } from 'node:stream';
import { PortChannelError } from './errors';
import { readExactly } from './read-head';

/**
 * The part of a libs/mux Session the port channel needs (structural, so tests and other
 * multiplexers fit too).
 */
export interface MuxSessionLike {
  open(): Duplex | Promise<Duplex>;
  on(event: 'stream', listener: (stream: Duplex) => void): unknown;
  off(event: 'stream', listener: (stream: Duplex) => void): unknown;
}

/** Who handles the streams for a port; undefined refuses the port. */
export type PortRouter = (port: number) => ((stream: Duplex) => void) | undefined;

/*
 * Wire convention of a port-routed mux stream (our own; vsock ports over one virtio-serial
 * channel):
 *   opener (host) → 4 bytes: the guest vsock port, u32 big-endian
 *   guest  → opener: the same 4 bytes if a listener took the port, then the stream is the
 *                    connection's byte pipe; or RST (mux reset) if nothing listens there.
 * The echo lets kata-proxy answer "OK" only once the guest really accepted, as Firecracker does.
 */

function portHeader(port: number): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(port);
  return header;
}

export interface ConnectPortOptions {
  /** Default 10 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Opens a mux stream to a guest port and waits for the guest's acceptance.
 * Throws PortChannelError PORT_REFUSED if the guest resets it (nothing listens on the port).
 */
export async function connectPort(session: MuxSessionLike, port: number, options: ConnectPortOptions = {}): Promise<Duplex> {
  const stream = await session.open();
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let ack: Buffer | null;
  try {
    stream.write(portHeader(port));
    ack = await readExactly(stream, 4, signal);
  } catch (cause) {
    stream.destroy();
    if (options.signal?.aborted) throw options.signal.reason;
    throw new PortChannelError('PORT_REFUSED', port, `guest port ${port}: ${(cause as Error).message}`, { cause });
  }
  if (ack === null || ack.readUInt32BE(0) !== port) {
    stream.destroy();
    throw new PortChannelError('PORT_REFUSED', port, `guest port ${port}: ${ack ? 'wrong acknowledgement' : 'closed before acceptance'}`);
  }
  return stream;
}

export interface PortListener {
  /** Stops routing new streams (streams already handed out are not touched). */
  close(): void;
}

/**
 * The guest side: reads each incoming stream's port header, acknowledges it and hands the
 * stream to the port's handler, or resets it when no handler takes the port.
 */
export function listenPorts(
  session: MuxSessionLike,
  routes: PortRouter | Record<number, (stream: Duplex) => void>,
  options: { headerTimeoutMs?: number; onError?: (error: PortChannelError) => void } = {},
): PortListener {
  const route: PortRouter = typeof routes === 'function' ? routes : (port) => routes[port];
  const onStream = (stream: Duplex) => {
    void routeStream(stream, route, options.headerTimeoutMs ?? 10_000).catch((error: PortChannelError) => {
      stream.destroy();
      options.onError?.(error);
    });
  };
  session.on('stream', onStream);
  return { close: () => session.off('stream', onStream) };
}

async function routeStream(stream: Duplex, route: PortRouter, headerTimeoutMs: number): Promise<void> {
  let header: Buffer | null;
  try {
    header = await readExactly(stream, 4, AbortSignal.timeout(headerTimeoutMs));
  } catch (cause) {
    throw new PortChannelError('SHORT_HEADER', undefined, `port header: ${(cause as Error).message}`, { cause });
  }
  if (header === null) throw new PortChannelError('SHORT_HEADER', undefined, 'stream ended before its port header');
  const port = header.readUInt32BE(0);
  const handler = route(port);
  if (!handler) throw new PortChannelError('PORT_REFUSED', port, `no listener on port ${port}`);
  stream.write(header);
  handler(stream);
}
