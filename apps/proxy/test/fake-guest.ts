// Stands in for QEMU's chardev socket with the guest agent behind it: a unix server whose one
// connection carries a mux server session with port routing (what the agent runs over
// virtio-serial).
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Session } from '@kata-ts/mux';
import { listenPorts } from '@kata-ts/vsock';

export interface FakeGuest {
  /** The session once kata-proxy connected. */
  readonly connected: Promise<Session>;
  /** The VM goes away: drops the channel and stops listening. */
  kill(): Promise<void>;
}

/**
 * `bootDelayMs`: the agent opens its port this long after the proxy connected; until then the
 * proxy's frames wait in the socket, as they wait in QEMU while the guest has not opened it.
 */
export async function startFakeGuest(
  path: string,
  ports: Record<number, (stream: Duplex) => void>,
  bootDelayMs = 0,
): Promise<FakeGuest> {
  let channel: Socket | undefined;
  let session: Session | undefined;
  let resolveConnected: (session: Session) => void = () => {};
  const connected = new Promise<Session>((resolve) => (resolveConnected = resolve));
  let boot: NodeJS.Timeout | undefined;
  const server: Server = createServer((socket) => {
    channel = socket;
    socket.on('error', () => {});
    socket.pause();
    boot = setTimeout(() => {
      session = new Session(socket, { role: 'server', keepAliveIntervalMs: false });
      session.on('error', () => {});
      listenPorts(session, ports);
      socket.resume(); // the Session's 'data' listener does not undo an explicit pause()
      resolveConnected(session);
    }, bootDelayMs);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    connected,
    kill: async () => {
      clearTimeout(boot);
      session?.destroy();
      channel?.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Echoes every byte back and half-closes when the peer does. */
export function echo(stream: Duplex): void {
  stream.on('error', () => {});
  stream.pipe(stream);
}
