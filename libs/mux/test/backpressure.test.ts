import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { INITIAL_STREAM_WINDOW } from '../src/frame-header';
import { Session } from '../src/session';
import type { Stream } from '../src/stream';
import { connectUnixSocket, silentLogger, type Connection } from './helpers/streams';

const STREAMS = 16;
const SLOW = 4;
const BYTES = 8 * 1024 * 1024;

interface Transfer {
  bytes: number;
  sha256: string;
}

/** Writes `bytes` random bytes in random-sized chunks, honouring write() backpressure. */
async function send(stream: Stream, bytes: number): Promise<Transfer> {
  const hash = createHash('sha256');
  for (let left = bytes; left > 0; ) {
    const chunk = randomBytes(Math.min(left, 1 + Math.floor(Math.random() * 128 * 1024)));
    hash.update(chunk);
    left -= chunk.length;
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
  stream.end();
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Hashes what arrives. With a gate, reads nothing until it opens, then reads slowly (one chunk
 * per event-loop turn). `observe` runs on every chunk.
 */
async function receive(stream: Stream, observe: () => void, gate?: Promise<void>): Promise<Transfer> {
  if (gate) await gate;
  const hash = createHash('sha256');
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
    observe();
    if (gate) {
      stream.pause();
      setImmediate(() => stream.resume());
    }
  });
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  return { bytes, sha256: hash.digest('hex') };
}

describe('flow control under load (unix socket)', () => {
  let connection: Connection | undefined;
  const sessions: Session[] = [];

  afterEach(async () => {
    for (const s of sessions.splice(0)) s.destroy();
    await connection?.close();
  });

  it(`${STREAMS} streams x ${BYTES / 2 ** 20} MiB both ways, ${SLOW} with stalled readers: intact, fast ones unblocked, buffers bounded`, async () => {
    connection = await connectUnixSocket();
    const client = new Session(connection.client, { role: 'client', keepAliveIntervalMs: false, logger: silentLogger });
    const server = new Session(connection.server, { role: 'server', keepAliveIntervalMs: false, logger: silentLogger });
    sessions.push(client, server);

    const all: Stream[] = [];
    let maxBuffered = 0;
    const observe = () => {
      for (const s of all) maxBuffered = Math.max(maxBuffered, s.bufferedBytes);
    };
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const isSlow = (id: number) => (id - 1) / 2 < SLOW;

    // Per stream id: [what the client sent, what it received] and the server's [received, sent].
    const serverSide = new Map<number, Promise<[Transfer, Transfer]>>();
    const accepted = new Promise<void>((resolve) => {
      server.on('stream', (stream: Stream) => {
        all.push(stream);
        const gated = isSlow(stream.id) ? gate : undefined;
        serverSide.set(stream.id, Promise.all([receive(stream, observe, gated), send(stream, BYTES)]));
        if (serverSide.size === STREAMS) resolve();
      });
    });
    const clientSide = new Map<number, Promise<[Transfer, Transfer]>>();
    for (let i = 0; i < STREAMS; i++) {
      const stream = client.open();
      all.push(stream);
      const gated = isSlow(stream.id) ? gate : undefined;
      clientSide.set(stream.id, Promise.all([send(stream, BYTES), receive(stream, observe, gated)]));
    }
    await accepted;

    // The fast streams complete while the slow ones read nothing at all: if a stalled stream
    // could block the session, this would hang.
    const fastIds = [...clientSide.keys()].filter((id) => !isSlow(id));
    await Promise.all(fastIds.flatMap((id) => [clientSide.get(id), serverSide.get(id)]));
    const slowStreams = all.filter((s) => isSlow(s.id));
    expect(slowStreams).toHaveLength(2 * SLOW);
    // Each stalled reader holds exactly one window: the sender stopped there.
    for (const s of slowStreams) expect(s.bufferedBytes).toBe(INITIAL_STREAM_WINDOW);

    openGate();
    for (const [id, clientDone] of clientSide) {
      const [clientSent, clientReceived] = await clientDone;
      const [serverReceived, serverSent] = (await serverSide.get(id)) as [Transfer, Transfer];
      expect(clientSent.bytes).toBe(BYTES);
      expect(serverReceived).toEqual(clientSent);
      expect(clientReceived).toEqual(serverSent);
    }
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(INITIAL_STREAM_WINDOW);
  }, 120_000);
});
