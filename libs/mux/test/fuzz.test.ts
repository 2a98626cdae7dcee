import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeHeader, FrameType, GoAwayCode } from '../src/frame-header';
import { MuxError } from '../src/mux-error';
import { Session } from '../src/session';
import type { Stream } from '../src/stream';
import { duplexPair } from './helpers/duplex-pair';
import { RawPeer } from './helpers/raw-peer';
import { silentLogger } from './helpers/streams';

/** Cuts every chunk at pseudo-random points (mulberry32 from `seed`). */
function randomCutter(seed: number): (chunk: Buffer) => Buffer[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return (chunk) => {
    const pieces: Buffer[] = [];
    for (let at = 0; at < chunk.length; ) {
      const n = 1 + Math.floor(next() * Math.min(chunk.length - at, next() < 0.5 ? 16 : 70_000));
      pieces.push(chunk.subarray(at, at + n));
      at += n;
    }
    return pieces;
  };
}

const closedOf = (emitter: Session | Stream) => new Promise<void>((resolve) => emitter.once('close', () => resolve()));

/** Byte soup that is often frame-shaped, so it reaches past the header checks. */
const frameLike = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b)),
  fc
    .record({
      type: fc.integer({ min: 0, max: 4 }),
      flags: fc.oneof(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 0xffff })),
      streamId: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.nat({ max: 0xffffffff })),
      length: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.nat({ max: 0xffffffff })),
      payload: fc.uint8Array({ maxLength: 300 }),
    })
    .map(({ payload, ...h }) => Buffer.concat([encodeHeader({ ...h, type: h.type as FrameType }), payload])),
);

describe('fuzz', () => {
  it('garbage never escapes the session: it survives valid frames and ends with GoAway on invalid ones', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frameLike, { minLength: 1, maxLength: 30 }), fc.integer(), async (parts, seed) => {
        const [ours, theirs] = duplexPair({ rechunk: randomCutter(seed) });
        const session = new Session(ours, { role: 'server', keepAliveIntervalMs: false, logger: silentLogger });
        const errors: unknown[] = [];
        session.on('error', (e) => errors.push(e));
        session.on('stream', (s: Stream) => {
          s.on('error', () => {});
          s.resume();
          s.write('reply');
        });
        const closed = closedOf(session);
        const peer = new RawPeer(theirs);
        for (const part of parts) peer.sendRaw(part);
        theirs.end();
        await closed;
        expect(session.destroyed).toBe(true);
        for (const error of errors) {
          expect(error).toBeInstanceOf(MuxError);
          expect(['PROTOCOL', 'REMOTE_GOAWAY']).toContain((error as MuxError).code);
          if ((error as MuxError).code === 'PROTOCOL') {
            expect(peer.has(FrameType.GoAway, 0, 0, GoAwayCode.ProtocolError)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  type Side = 'client' | 'server';
  const side = fc.constantFrom<Side>('client', 'server');
  const op = (streams: number) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('write' as const), side, stream: fc.nat(streams - 1), size: fc.oneof(fc.nat(64), fc.nat(300_000)) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('end' as const), side, stream: fc.nat(streams - 1) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), side, stream: fc.nat(streams - 1) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('ping' as const), side }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const) }) },
    );
  const scenario = fc.integer({ min: 1, max: 5 }).chain((streams) =>
    fc.record({ streams: fc.constant(streams), ops: fc.array(op(streams), { minLength: 1, maxLength: 40 }), seed: fc.integer() }),
  );

  it('random interleavings of writes, half-closes, resets and pings over random chunking deliver every byte', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ streams, ops, seed }) => {
        const [a, b] = duplexPair({ rechunk: randomCutter(seed) });
        const sessions = {
          client: new Session(a, { role: 'client', keepAliveIntervalMs: false, logger: silentLogger }),
          server: new Session(b, { role: 'server', keepAliveIntervalMs: false, logger: silentLogger }),
        };
        const ends: Record<Side, Stream[]> = { client: [], server: [] };
        const sent: Record<Side, Buffer[][]> = { client: [], server: [] };
        const received: Record<Side, Buffer[][]> = { client: [], server: [] };
        const closed: Promise<void>[] = [];
        const reset = new Set<number>();
        const track = (side: Side, index: number, stream: Stream) => {
          ends[side][index] = stream;
          sent[side][index] = [];
          received[side][index] = [];
          stream.on('data', (chunk: Buffer) => received[side][index]?.push(chunk));
          stream.on('error', (e) => expect((e as MuxError).code).toBe('STREAM_RESET'));
          closed.push(closedOf(stream));
        };
        const accepted = new Promise<void>((resolve) =>
          sessions.server.on('stream', (s: Stream) => {
            track('server', (s.id - 1) / 2, s);
            if (ends.server.filter(Boolean).length === streams) resolve();
          }),
        );
        for (let i = 0; i < streams; i++) track('client', i, sessions.client.open());
        await accepted;

        for (const o of ops) {
          if (o.kind === 'tick') {
            await new Promise(setImmediate);
            continue;
          }
          if (o.kind === 'ping') {
            await sessions[o.side].ping();
            continue;
          }
          const stream = ends[o.side][o.stream] as Stream;
          if (stream.destroyed || stream.writableEnded) continue;
          if (o.kind === 'write') {
            const data = Buffer.alloc(o.size, (o.stream * 31 + o.size) & 0xff);
            sent[o.side][o.stream]?.push(data);
            stream.write(data);
          } else if (o.kind === 'end') {
            stream.end();
          } else {
            reset.add(o.stream);
            stream.destroy();
          }
        }
        for (const side of ['client', 'server'] as const) {
          for (const s of ends[side]) if (!s.destroyed && !s.writableEnded) s.end();
        }
        await Promise.all(closed);

        for (let i = 0; i < streams; i++) {
          if (reset.has(i)) continue;
          expect(Buffer.concat(received.server[i] ?? []).equals(Buffer.concat(sent.client[i] ?? []))).toBe(true);
          expect(Buffer.concat(received.client[i] ?? []).equals(Buffer.concat(sent.server[i] ?? []))).toBe(true);
        }
        expect(sessions.client.streamCount).toBe(0);
        expect(sessions.server.streamCount).toBe(0);
        expect(sessions.client.destroyed || sessions.server.destroyed).toBe(false);
        sessions.client.destroy();
        sessions.server.destroy();
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
