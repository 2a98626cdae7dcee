import { createConnection, type Socket } from 'node:net';

/** Connects to a unix socket; rejects with Node's error (ENOENT, ECONNREFUSED) or the abort reason. */
export function connectUnix(path: string, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    const onAbort = () => {
      socket.destroy();
      reject(signal?.reason);
    };
    const onError = (error: Error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('connect', () => {
      signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
