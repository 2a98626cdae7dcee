import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { duplexPair } from '../test/helpers/duplex-pair';
import { RawPeer } from '../test/helpers/raw-peer';
import { errorOf, readAll, silentLogger } from '../test/helpers/streams';
import { encodeHeader, Flag, FrameType, GoAwayCode, INITIAL_STREAM_WINDOW } from './frame-header';
import { MuxError } from './mux-error';
import { Session } from './session';
import type { SessionOptions } from './session-options';
import type { Stream } from './stream';

/** Unlike events.once, does not reject when 'error' comes first. */
const closed = (session: Session) => new Promise<void>((resolve) => session.once('close', resolve));

// Byte-exact exchanges with a hand-driven peer, standing in for hashicorp/yamux (no Go here).
describe('Session on the wire', () => {
  const sessions: Session[] = [];

  function setup(options: Partial<SessionOptions> & Pick<SessionOptions, 'role'>) {
    const [ours, theirs] = duplexPair();
    const session = new Session(ours, { keepAliveIntervalMs: false, logger: silentLogger, ...options });
    const errors: MuxError[] = [];
    session.on('error', (e) => errors.push(e));
    sessions.push(session);
    return { session, peer: new RawPeer(theirs), errors };
  }

  afterEach(() => {
    for (const s of sessions.splice(0)) s.destroy();
  });

  it('opens a stream as hashicorp/yamux does: SYN window update, then Data, then FIN', async () => {
    const { session, peer } = setup({ role: 'client' });
    const stream = session.open();
    stream.write('hi');
    stream.end();
    await peer.waitFor((f) => f.length === 3);
    expect(peer.hex).toBe('000100010000000100000000' + '000000000000000100000002' + '6869' + '000100040000000100000000');
  });

  it('announces a larger window in the SYN', async () => {
    const { session, peer } = setup({ role: 'client', maxStreamWindow: 1024 * 1024 });
    session.open();
    await peer.waitFor((f) => f.length === 1);
    expect(peer.has(FrameType.WindowUpdate, Flag.SYN, 1, 1024 * 1024 - INITIAL_STREAM_WINDOW)).toBe(true);
  });

  it('accepts a SYN with an ACK window update and delivers data sent with the SYN', async () => {
    const { session, peer } = setup({ role: 'server' });
    const accepted = once(session, 'stream');
    peer.send({ type: FrameType.Data, flags: Flag.SYN | Flag.FIN, streamId: 1, length: 3 }, 'abc');
    const [stream] = (await accepted) as [Stream];
    expect(stream.id).toBe(1);
    expect((await readAll(stream)).toString()).toBe('abc');
    await peer.barrier();
    expect(peer.hex.startsWith('000100020000000100000000')).toBe(true);
  });

  it('hands a Data frame that arrives in 4 KiB reads (a virtio-serial port) to the consumer whole, and counts it in the window', async () => {
    const { session, peer } = setup({ role: 'server' });
    const accepted = once(session, 'stream');
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: 1, length: 0 });
    const [stream] = (await accepted) as [Stream];
    const payload = Buffer.alloc(64 << 10, 5);
    const frame = Buffer.concat([encodeHeader({ type: FrameType.Data, flags: 0, streamId: 1, length: payload.length }), payload]);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    for (let at = 0; at < frame.length; at += 4096) {
      peer.sendRaw(frame.subarray(at, at + 4096));
      await new Promise((r) => setImmediate(r));
      // Mid-frame: nothing delivered yet, but every received byte is held against the window.
      if (at + 4096 < frame.length) expect([chunks.length, stream.bufferedBytes]).toEqual([0, at + 4096 - 12]);
    }
    await peer.barrier();
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.equals(payload)).toBe(true);
  });

  it('answers a ping with the same opaque value', async () => {
    const { peer } = setup({ role: 'server' });
    peer.sendRaw('000200010000000001020304');
    await peer.waitFor((f) => f.length === 1);
    expect(peer.hex).toBe('000200020000000001020304');
  });

  it('fails a peer that pings without ever reading the replies', async () => {
    const [ours, theirs] = duplexPair();
    const session = new Session(ours, { role: 'server', keepAliveIntervalMs: false, logger: silentLogger });
    sessions.push(session);
    const errors: MuxError[] = [];
    session.on('error', (e) => errors.push(e));
    theirs.pause(); // never reads
    const ping = Buffer.from('000200010000000000000001', 'hex');
    const burst = Buffer.concat(Array.from({ length: 100_000 }, () => ping));
    for (let i = 0; i < 20 && !session.destroyed; i++) theirs.write(burst);
    await closed(session);
    expect(errors.map((e) => e.code)).toEqual(['PROTOCOL']);
  }, 60_000); // ~1.4M pings must be parsed before the 16 MiB reply cap trips: CPU-bound on a loaded 2-core CI machine

  it('ping() sends SYN and resolves on the ACK', async () => {
    const { session, peer } = setup({ role: 'client' });
    const rtt = session.ping();
    await peer.waitFor((f) => f.length === 1);
    expect(peer.hex).toBe('000200010000000000000000');
    peer.sendRaw('000200020000000000000000');
    expect(await rtt).toBeGreaterThanOrEqual(0);
  });

  it('ping() times out with TIMEOUT when unanswered', async () => {
    const { session } = setup({ role: 'client', pingTimeoutMs: 20 });
    await expect(session.ping()).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('keepalive ends a session whose peer stops answering', async () => {
    const { session, errors } = setup({ role: 'client', keepAliveIntervalMs: 10, pingTimeoutMs: 10 });
    await closed(session);
    expect(errors.map((e) => e.code)).toEqual(['TIMEOUT']);
  });

  it('never sends more than the window, and exactly what each window update grants', async () => {
    const { session, peer } = setup({ role: 'client' });
    const stream = session.open();
    const written = new Promise<void>((resolve) => stream.write(Buffer.alloc(INITIAL_STREAM_WINDOW + 5000, 7), () => resolve()));
    await peer.waitFor(() => peer.dataBytes(1) === INITIAL_STREAM_WINDOW);
    await peer.barrier();
    expect(peer.dataBytes(1)).toBe(INITIAL_STREAM_WINDOW);
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.ACK, streamId: 1, length: 1000 });
    await peer.barrier();
    expect(peer.dataBytes(1)).toBe(INITIAL_STREAM_WINDOW + 1000);
    peer.send({ type: FrameType.WindowUpdate, flags: 0, streamId: 1, length: 100_000 });
    await written;
    expect(peer.dataBytes(1)).toBe(INITIAL_STREAM_WINDOW + 5000);
  });

  it('grants window back as the consumer reads: delta = consumed, once at least half the window', async () => {
    const { session, peer } = setup({ role: 'server' });
    const accepted = once(session, 'stream');
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: 1, length: 0 });
    const [stream] = (await accepted) as [Stream];
    stream.pause();
    peer.send({ type: FrameType.Data, flags: 0, streamId: 1, length: INITIAL_STREAM_WINDOW }, Buffer.alloc(INITIAL_STREAM_WINDOW));
    await peer.barrier();
    expect(stream.bufferedBytes).toBe(INITIAL_STREAM_WINDOW);
    expect(peer.frames.filter((f) => f.header.type === FrameType.WindowUpdate && f.header.flags === 0)).toEqual([]);
    let read = 0;
    while (read < INITIAL_STREAM_WINDOW) read += (stream.read() as Buffer | null)?.length ?? 0;
    // Node asks for more (our _read, which sends the update) on its next tick.
    await new Promise(setImmediate);
    await peer.barrier();
    const updates = peer.frames.filter((f) => f.header.type === FrameType.WindowUpdate && f.header.flags === 0);
    expect(updates.reduce((n, f) => n + f.header.length, 0)).toBe(INITIAL_STREAM_WINDOW);
    expect(updates.every((f) => f.header.length >= INITIAL_STREAM_WINDOW / 2)).toBe(true);
  });

  it('does not keep a large transport read alive for a small piece of payload', async () => {
    const { session, peer } = setup({ role: 'server' });
    const accepted = once(session, 'stream');
    const pings = Buffer.from('000200020000000000000009'.repeat(5000), 'hex');
    peer.sendRaw(Buffer.concat([Buffer.from('000000010000000100000001' + '2a', 'hex'), pings]));
    const [stream] = (await accepted) as [Stream];
    const chunk = stream.read() as Buffer;
    expect(chunk.toString('hex')).toBe('2a');
    expect(chunk.buffer.byteLength).toBeLessThan(1024);
  });

  it('answers a window overrun with GoAway(protocol error) and fails', async () => {
    const { session, peer, errors } = setup({ role: 'server' });
    const accepted = once(session, 'stream');
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: 1, length: 0 });
    const [stream] = (await accepted) as [Stream];
    const streamError = errorOf(stream);
    peer.send({ type: FrameType.Data, flags: 0, streamId: 1, length: INITIAL_STREAM_WINDOW + 1 }, Buffer.alloc(INITIAL_STREAM_WINDOW + 1));
    await closed(session);
    expect(peer.has(FrameType.GoAway, 0, 0, GoAwayCode.ProtocolError)).toBe(true);
    expect(errors.map((e) => e.code)).toEqual(['PROTOCOL']);
    expect((await streamError).code).toBe('SESSION_CLOSED');
  });

  it.each([
    ['a duplicate SYN', ['000100010000000100000000', '000100010000000100000000']],
    ['a SYN with our parity (server ids are even)', ['000100010000000200000000']],
    ['stream id 0', ['000100010000000000000000']],
    ['data after FIN', ['000100050000000100000000', '000000000000000100000001ff']],
    ['a second FIN', ['000100050000000100000000', '000100040000000100000000']],
    ['an unknown frame type', ['000700000000000000000000']],
    ['an unknown version', ['010000000000000000000000']],
  ])('treats %s as a protocol error', async (_name, frames) => {
    const { session, peer, errors } = setup({ role: 'server' });
    session.on('stream', (s: Stream) => s.on('error', () => {}));
    for (const f of frames) peer.sendRaw(f);
    await closed(session);
    expect(errors.map((e) => e.code)).toEqual(['PROTOCOL']);
    expect(peer.has(FrameType.GoAway, 0, 0, GoAwayCode.ProtocolError)).toBe(true);
  });

  it('RSTs data for a stream that was never opened, and drops frames for streams it closed', async () => {
    const { session, peer } = setup({ role: 'server' });
    session.on('stream', (s: Stream) => s.destroy());
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: 1, length: 0 });
    await peer.waitFor(() => peer.has(FrameType.WindowUpdate, Flag.RST, 1));
    peer.send({ type: FrameType.Data, flags: 0, streamId: 1, length: 2 }, 'zz');
    peer.send({ type: FrameType.Data, flags: 0, streamId: 5, length: 2 }, 'zz');
    await peer.barrier();
    expect(peer.frames.filter((f) => f.header.flags === Flag.RST).map((f) => f.header.streamId)).toEqual([1, 5]);
    expect(session.destroyed).toBe(false);
  });

  it('holds up to acceptBacklog streams until a listener comes, and refuses the rest', async () => {
    const { session, peer } = setup({ role: 'server', acceptBacklog: 2 });
    for (const id of [1, 3, 5]) peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: id, length: 0 });
    await peer.barrier();
    expect(peer.frames.filter((f) => f.header.type === FrameType.WindowUpdate).map((f) => [f.header.streamId, f.header.flags])).toEqual([
      [5, Flag.RST],
    ]);
    const ids: number[] = [];
    session.on('stream', (s: Stream) => ids.push(s.id));
    await peer.waitFor(() => peer.has(FrameType.WindowUpdate, Flag.ACK, 3));
    expect(ids).toEqual([1, 3]);
    expect(peer.has(FrameType.WindowUpdate, Flag.ACK, 1)).toBe(true);
  });

  it('refuses streams past maxStreams, so a peer costs at most maxStreams windows', async () => {
    const { session, peer } = setup({ role: 'server', maxStreams: 2 });
    const ids: number[] = [];
    session.on('stream', (s: Stream) => ids.push(s.id));
    for (const id of [1, 3, 5]) peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: id, length: 0 });
    await peer.barrier();
    expect(ids).toEqual([1, 3]);
    expect(peer.has(FrameType.WindowUpdate, Flag.RST, 5)).toBe(true);
    expect(session.destroyed).toBe(false);
  });

  it('close() refuses every stream still in the backlog', async () => {
    const { session, peer } = setup({ role: 'server' });
    for (const id of [1, 3, 5]) peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: id, length: 0 });
    await peer.barrier();
    await session.close();
    expect(peer.frames.filter((f) => f.header.flags === Flag.RST).map((f) => f.header.streamId)).toEqual([1, 3, 5]);
  });

  it('refuses new streams with RST after its own GoAway', async () => {
    const { session, peer } = setup({ role: 'server' });
    session.on('stream', () => expect.unreachable());
    session.goAway();
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: 1, length: 0 });
    await peer.barrier();
    expect(peer.hex.startsWith('000300000000000000000000')).toBe(true);
    expect(peer.has(FrameType.WindowUpdate, Flag.RST, 1)).toBe(true);
  });

  it.each([
    [GoAwayCode.ProtocolError, /protocol error/],
    [GoAwayCode.InternalError, /internal error/],
  ])('ends the session on the peer GoAway(%i)', async (code, message) => {
    const { session, peer, errors } = setup({ role: 'client' });
    const stream = session.open();
    const streamError = errorOf(stream);
    peer.send({ type: FrameType.GoAway, flags: 0, streamId: 0, length: code });
    await closed(session);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'REMOTE_GOAWAY', message });
    expect((await streamError).code).toBe('SESSION_CLOSED');
  });

  it('goAway(internal error) tells the peer and ends the session', async () => {
    const { session, peer } = setup({ role: 'client' });
    const done = closed(session);
    session.goAway(GoAwayCode.InternalError);
    await done;
    expect(peer.has(FrameType.GoAway, 0, 0, GoAwayCode.InternalError)).toBe(true);
    expect(() => session.open()).toThrow(expect.objectContaining({ code: 'SESSION_CLOSED' }));
  });

  it('destroy(error) emits it as INTERNAL and closes streams with the cause', async () => {
    const { session, errors } = setup({ role: 'client' });
    const stream = session.open();
    const streamError = errorOf(stream);
    session.destroy(new Error('agent is shutting down'));
    await closed(session);
    expect(errors).toMatchObject([{ code: 'INTERNAL', message: 'agent is shutting down' }]);
    expect(await streamError).toMatchObject({ code: 'SESSION_CLOSED', message: 'session closed: agent is shutting down' });
  });

  it('a stream refused by the peer fails with STREAM_RESET', async () => {
    const { session, peer } = setup({ role: 'client' });
    const stream = session.open();
    const error = errorOf(stream);
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.RST, streamId: 1, length: 0 });
    expect(await error).toMatchObject({ code: 'STREAM_RESET' });
  });

  it('a stream without error listeners is closed quietly, with the reason kept', async () => {
    const { session, peer } = setup({ role: 'client' });
    const stream = session.open();
    peer.send({ type: FrameType.WindowUpdate, flags: Flag.RST, streamId: 1, length: 0 });
    await new Promise((resolve) => stream.once('close', resolve));
    expect(stream.closeReason).toBeInstanceOf(MuxError);
    expect(stream.closeReason?.code).toBe('STREAM_RESET');
  });
});
