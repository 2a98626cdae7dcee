import { closeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { VsockError } from './errors';
import { loadVsockAddon } from './native-addon';
import { socketFromFd } from './pipe-handle';

export const VMADDR_CID_ANY = 0xffffffff;
export const VMADDR_PORT_ANY = 0xffffffff;
export const VMADDR_CID_LOCAL = 1;
export const VMADDR_CID_HOST = 2;

export interface VsockConnectOptions {
  cid: number;
  port: number;
  /** The kernel's connect timeout (SO_VM_SOCKETS_CONNECT_TIMEOUT). Default 2000 ms, as Linux. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The errno name (ECONNRESET, ENODEV, ...) behind a failed socket call, if any. */
export function errnoCode(error: unknown): string | undefined {
  const cause = error instanceof VsockError ? error.cause : error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Connects to (cid, port) over AF_VSOCK and returns a net.Socket. A vsock with nothing
 * listening fails fast with ECONNRESET; an absent CID times out or fails with ENODEV.
 */
export async function connectVsock(options: VsockConnectOptions): Promise<Socket> {
  const { cid, port, signal } = options;
  signal?.throwIfAborted();
  const pending = loadVsockAddon().connect(cid, port, options.timeoutMs ?? 2000);
  let fd: number;
  try {
    fd = await (signal ? raceAbort(pending, signal) : pending);
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw new VsockError('SOCKET_ERROR', `vsock connect ${cid}:${port}: ${(cause as Error).message}`, { cause });
  }
  return socketFromFd(fd);
}

/** Rejects on abort; a connection that still completes afterwards is closed, not leaked. */
function raceAbort(pending: Promise<number>, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      pending.then((fd) => closeSync(fd), () => {});
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (fd) => (signal.aborted ? undefined : (signal.removeEventListener('abort', onAbort), resolve(fd))),
      (error) => (signal.aborted ? undefined : (signal.removeEventListener('abort', onAbort), reject(error))),
    );
  });
}
