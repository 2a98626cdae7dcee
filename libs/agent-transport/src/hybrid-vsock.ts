import type { Socket } from 'node:net';
import { connectUnix } from './connect-unix';
import { HybridVsockError } from './errors';
import { LineTooLongError, readLine } from './read-head';

export interface HybridVsockConnectOptions {
  /** The VMM's (or kata-proxy's) unix socket, Firecracker's `uds_path`. */
  path: string;
  /** The guest vsock port (1024 = Kata agent). */
  port: number;
  /** How long to wait for "OK <n>" once connected. Default 5000 ms. */
  handshakeTimeoutMs?: number;
  signal?: AbortSignal;
}

/** The longest reply line accepted ("OK 4294967295" is 13 bytes). */
const MAX_REPLY = 64;

/**
 * One hybrid-vsock connection attempt: connect to the unix socket, send `CONNECT <port>\n`,
 * require `OK <n>\n`. The returned socket is a raw byte pipe to the guest port; bytes the
 * guest sent right after the reply are kept for it. Failures are HybridVsockError:
 * UNREACHABLE and NOT_READY are `retryable` (see createDialer for the retry loop).
 */
export async function connectHybridVsock(options: HybridVsockConnectOptions): Promise<Socket> {
  const { path, port, signal } = options;
  signal?.throwIfAborted();
  let socket: Socket;
  try {
    socket = await connectUnix(path, signal);
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw new HybridVsockError('UNREACHABLE', path, port, (cause as Error).message, { cause });
  }
  const handshakeSignal = AbortSignal.timeout(options.handshakeTimeoutMs ?? 5000);
  try {
    socket.write(`CONNECT ${port}\n`);
    const reply = await readLine(socket, MAX_REPLY, signal ? AbortSignal.any([signal, handshakeSignal]) : handshakeSignal);
    if (reply === null) throw new HybridVsockError('NOT_READY', path, port, 'closed before OK (no guest listener yet)');
    if (!/^OK \d+$/.test(reply)) throw new HybridVsockError('BAD_REPLY', path, port, `unexpected reply ${JSON.stringify(reply)}`);
    return socket;
  } catch (error) {
    socket.destroy();
    if (signal?.aborted) throw signal.reason;
    if (handshakeSignal.aborted) {
      throw new HybridVsockError('HANDSHAKE_TIMEOUT', path, port, `no reply within ${options.handshakeTimeoutMs ?? 5000} ms`);
    }
    if (error instanceof HybridVsockError) throw error;
    if (error instanceof LineTooLongError) throw new HybridVsockError('BAD_REPLY', path, port, error.message);
    throw new HybridVsockError('NOT_READY', path, port, `connection failed during handshake: ${(error as Error).message}`, { cause: error });
  }
}
