import type { Socket } from 'node:net';
import { HybridVsockError } from './errors';
import { readLine } from './read-head';

const MAX_REQUEST = 64;

/**
 * The server side of the hybrid-vsock handshake (what kata-proxy plays): reads
 * `CONNECT <port>\n` and returns the port. Bytes after the line stay in the socket. The caller
 * answers with hybridVsockOk(n) once the guest accepted, or closes the socket to refuse.
 */
export async function readHybridVsockRequest(socket: Socket, listenPath: string, timeoutMs = 5000): Promise<number> {
  const timeout = AbortSignal.timeout(timeoutMs);
  let request: string | null;
  try {
    request = await readLine(socket, MAX_REQUEST, timeout);
  } catch (cause) {
    if (timeout.aborted) throw new HybridVsockError('HANDSHAKE_TIMEOUT', listenPath, undefined, `no CONNECT line within ${timeoutMs} ms`);
    throw new HybridVsockError('BAD_REQUEST', listenPath, undefined, `reading CONNECT: ${(cause as Error).message}`, { cause });
  }
  const match = request === null ? null : /^CONNECT (\d{1,10})$/.exec(request);
  const port = match ? Number(match[1]) : NaN;
  if (!(port <= 0xffffffff)) {
    const shown = request === null ? 'end of stream' : JSON.stringify(request);
    throw new HybridVsockError('BAD_REQUEST', listenPath, undefined, `expected "CONNECT <port>", got ${shown}`);
  }
  return port;
}

/** The success reply; `hostPort` is the host-side connection number (Firecracker counts up). */
export function hybridVsockOk(hostPort: number): string {
  return `OK ${hostPort}\n`;
}
