import { createHash } from 'node:crypto';
import net from 'node:net';
import { join } from 'node:path';

/** containerd's directory for shim sockets (shared by every shim by convention). */
export const SHIM_SOCKET_DIR = '/run/containerd/s';

/**
 * The socket containerd's own shims use: sha256 of `<containerd address>/<namespace>/<group>`,
 * where group is the pod's sandbox id so all of a pod's containers reach one shim.
 */
export function shimSocketPath(containerdAddress: string, namespace: string, groupId: string, dir = SHIM_SOCKET_DIR): string {
  const hash = createHash('sha256').update(join(containerdAddress, namespace, groupId)).digest('hex');
  return join(dir, hash);
}

export function socketAddress(path: string): string {
  return `unix://${path}`;
}

/** True if something accepts connections on `path` (a live shim). */
export function socketIsLive(path: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    const done = (live: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(live);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
