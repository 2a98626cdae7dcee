import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { VsockError } from './errors';

// libuv's pipe handle accepts any stream fd (uv_pipe_open does not check the socket family),
// makes it non-blocking and drives reads, writes and accept4 from the event loop. Node has no
// public API for that, but `pipe_wrap` is on process.binding's allow-list and stable in Node 20.
interface PipeHandle {
  open(fd: number): number;
  listen(backlog: number): number;
  close(callback?: () => void): void;
  onconnection: ((status: number, client?: PipeHandle) => void) | null;
}
interface PipeWrap {
  Pipe: new (type: number) => PipeHandle;
  constants: { SOCKET: number; SERVER: number };
}

let cachedPipeWrap: PipeWrap | undefined;
/** Looked up on first use, so importing this library never depends on it. */
function pipeWrap(): PipeWrap {
  return (cachedPipeWrap ??= (process as unknown as { binding(name: 'pipe_wrap'): PipeWrap }).binding('pipe_wrap'));
}

function uvError(status: number, syscall: string): VsockError {
  const name = getSystemErrorName(status);
  const cause = Object.assign(new Error(`${syscall} ${name}`), { code: name, errno: status, syscall });
  return new VsockError('SOCKET_ERROR', `${syscall} failed: ${name}`, { cause });
}

/**
 * A net.Socket over an fd Node cannot classify (AF_VSOCK socket, character device): reads and
 * writes are libuv-driven with normal backpressure. The socket owns the fd from here on
 * (it is closed on failure too).
 */
export function socketFromFd(fd: number): Socket {
  const { Pipe, constants } = pipeWrap();
  const handle = new Pipe(constants.SOCKET);
  const status = handle.open(fd);
  if (status < 0) {
    closeSync(fd);
    throw uvError(status, 'uv_pipe_open');
  }
  return new Socket({ handle, readable: true, writable: true } as ConstructorParameters<typeof Socket>[0]);
}

/** A listening socket fd driven by libuv: accept4 runs when the fd is readable. */
export interface FdServer {
  /** Stops accepting and closes the fd. */
  close(): Promise<void>;
}

/**
 * Listens on a bound stream-socket fd and hands each accepted connection to `onConnection` as
 * a net.Socket. The server owns the fd; accept failures go to `onError` (accepting continues).
 */
export function listenOnFd(
  fd: number,
  backlog: number,
  onConnection: (socket: Socket) => void,
  onError: (error: Error) => void,
): FdServer {
  const { Pipe, constants } = pipeWrap();
  const handle = new Pipe(constants.SERVER);
  const opened = handle.open(fd);
  if (opened < 0) {
    closeSync(fd);
    throw uvError(opened, 'uv_pipe_open');
  }
  const listening = handle.listen(backlog);
  if (listening < 0) {
    handle.close();
    throw uvError(listening, 'listen');
  }
  handle.onconnection = (code, client) => {
    if (code < 0 || !client) return onError(uvError(code, 'accept'));
    onConnection(new Socket({ handle: client, readable: true, writable: true } as ConstructorParameters<typeof Socket>[0]));
  };
  let closed: Promise<void> | undefined;
  return {
    close: () => (closed ??= new Promise((done) => handle.close(done))),
  };
}
