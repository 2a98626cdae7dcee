// Stands in for QEMU's chardev socket with the guest agent behind it: a unix server whose one
// connection carries a mux server session with port routing (what the agent runs over
// virtio-serial).
import { createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { GoAwayCode, Session } from '@kata-ts/mux';
import { listenPorts } from '@kata-ts/agent-transport';

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

export interface ReopeningGuest {
  /** Bytes the guest kernel discarded so far (arrived while the port was closing). */
  readonly dropped: number;
  /** Resolves once kata-proxy has connected to the chardev. */
  readonly connected: Promise<void>;
  /** The guest opens its port again: a fresh mux session reads from now on. */
  reopen(): void;
  /** The guest restarts its side on the same connection (after a protocol error): GoAway(1),
   *  the port is closed (what arrives meanwhile is discarded) and reopened after `closedMs`. */
  restartSession(closedMs?: number): void;
  kill(): Promise<void>;
}

/**
 * The guest's virtio-serial port as it behaves around a reopen: it read end-of-file before the
 * host connected, so it is closing the port, and the guest kernel discards whatever QEMU delivers
 * until then; a fresh mux session starts only when the test calls reopen(). Each session reads
 * the connection through its own Duplex, so ending a session leaves the connection up (QEMU's
 * chardev stays connected while the guest closes and reopens its port).
 */
export async function startReopeningGuest(path: string, ports: Record<number, (stream: Duplex) => void>): Promise<ReopeningGuest> {
  let channel: Socket | undefined;
  let tap: Duplex | undefined;
  let session: Session | undefined;
  let dropped = 0;
  let resolveConnected: () => void = () => {};
  const connected = new Promise<void>((resolve) => (resolveConnected = resolve));
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((socket) => {
    channel = socket;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      if (tap) tap.push(chunk);
      else dropped += chunk.length;
    });
    resolveConnected();
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const open = () => {
    const socket = channel;
    if (!socket) throw new Error('kata-proxy has not connected');
    const current: Duplex = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, callback) => (socket.write(chunk), callback()),
      final: (callback) => callback(),
      destroy: (error, callback) => ((tap = tap === current ? undefined : tap), callback(error)),
    });
    tap = current;
    session = new Session(current, { role: 'server', keepAliveIntervalMs: false });
    session.on('error', () => {});
    listenPorts(session, ports);
  };
  return {
    get dropped() {
      return dropped;
    },
    connected,
    reopen: open,
    restartSession: (closedMs = 100) => {
      session?.goAway(GoAwayCode.ProtocolError);
      tap?.destroy();
      tap = undefined;
      const timer = setTimeout(() => (timers.delete(timer), open()), closedMs);
      timers.add(timer);
    },
    kill: async () => {
      timers.forEach(clearTimeout);
      session?.destroy();
      channel?.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
