import { closeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { VsockError } from './errors';
import { loadVsockAddon, type VsockAddress } from './native-addon';
import { listenOnFd } from './pipe-handle';
import { VMADDR_CID_ANY } from './vsock-socket';

export interface VsockListenOptions {
  /** Which local CID to bind; default VMADDR_CID_ANY (Kata's `vsock://-1:<port>`). */
  cid?: number;
  port: number;
  backlog?: number;
  /** Accept errors (EMFILE, ...); accepting continues. Default: ignored. */
  onError?: (error: Error) => void;
}

export interface VsockServer {
  /** The bound address (the kernel's choice when port was VMADDR_PORT_ANY). */
  readonly address: VsockAddress;
  close(): Promise<void>;
}

/** Listens on AF_VSOCK; accepts run on the event loop (libuv), never blocking it. */
export function listenVsock(options: VsockListenOptions, onConnection: (socket: Socket) => void): VsockServer {
  const addon = loadVsockAddon();
  const cid = options.cid ?? VMADDR_CID_ANY;
  let fd: number;
  try {
    fd = addon.bindSocket(cid, options.port);
  } catch (cause) {
    throw new VsockError('SOCKET_ERROR', `vsock listen ${cid | 0}:${options.port}: ${(cause as Error).message}`, { cause });
  }
  let address: VsockAddress;
  try {
    address = addon.getsockname(fd);
  } catch (cause) {
    closeSync(fd);
    throw new VsockError('SOCKET_ERROR', `vsock getsockname: ${(cause as Error).message}`, { cause });
  }
  const server = listenOnFd(fd, options.backlog ?? 128, onConnection, options.onError ?? (() => {}));
  return { address, close: () => server.close() };
}
