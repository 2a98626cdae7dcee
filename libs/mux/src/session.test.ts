import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectInMemory,
  connectUnixSocket,
  errorOf,
  readAll,
  silentLogger,
  type Connect,
  type Connection,
} from '../test/helpers/streams';
import { MuxError } from './mux-error';
import { Session } from './session';
import type { Stream } from './stream';

describe.each([
  ['an in-memory duplex pair', connectInMemory],
  ['a unix socket', connectUnixSocket],
] as [string, Connect][])('Session over %s', (_name, connect) => {
  let connection: Connection | undefined;
  const sessions: Session[] = [];

  async function pair(): Promise<{ client: Session; server: Session }> {
    connection = await connect();
    const client = new Session(connection.client, { role: 'client', keepAliveIntervalMs: false, logger: silentLogger });
    const server = new Session(connection.server, { role: 'server', keepAliveIntervalMs: false, logger: silentLogger });
    for (const s of [client, server]) s.on('error', () => {});
    sessions.push(client, server);
    return { client, server };
  }

  const nextStream = (session: Session) => once(session, 'stream').then(([s]) => s as Stream);

  afterEach(async () => {
    for (const s of sessions.splice(0)) s.destroy();
    await connection?.close();
    connection = undefined;
  });

  it('opens, accepts and echoes', async () => {
    const { client, server } = await pair();
    server.on('stream', (s: Stream) => s.pipe(s));
    const stream = client.open();
    stream.end('hello over yamux');
    expect((await readAll(stream)).toString()).toBe('hello over yamux');
  });

  it('carries corked writes of small and large chunks whole and in order', async () => {
    const { client, server } = await pair();
    const received = nextStream(server).then(readAll);
    const stream = client.open();
    const parts = [Buffer.from('head'), Buffer.alloc(300_000, 7), Buffer.from('mid'), Buffer.from('dle'), Buffer.alloc(20_000, 9), Buffer.from('tail')];
    stream.cork();
    for (const part of parts) stream.write(part);
    stream.uncork();
    stream.end();
    expect((await received).equals(Buffer.concat(parts))).toBe(true);
  });

  it('lets both sides open streams: odd ids from the client, even from the server', async () => {
    const { client, server } = await pair();
    const accepted = nextStream(client);
    const fromServer = server.open();
    expect(fromServer.id).toBe(2);
    expect((await accepted).id).toBe(2);
    expect(client.open().id).toBe(1);
    expect(client.open().id).toBe(3);
    expect(server.open().id).toBe(4);
  });

  it('half-closes: after the client ends, the server still answers', async () => {
    const { client, server } = await pair();
    server.on('stream', async (s: Stream) => {
      const request = await readAll(s);
      expect(s.readableEnded).toBe(true);
      s.write(`got ${request.toString()};`);
      s.end('bye');
    });
    const stream = client.open();
    stream.end('req');
    expect((await readAll(stream)).toString()).toBe('got req;bye');
  });

  it('carries data written before the ACK', async () => {
    const { client, server } = await pair();
    const stream = client.open();
    stream.write('early ');
    stream.end('bird');
    const accepted = await nextStream(server);
    expect((await readAll(accepted)).toString()).toBe('early bird');
  });

  it('resets: destroy() on one side errors the other with STREAM_RESET', async () => {
    const { client, server } = await pair();
    server.on('stream', (s: Stream) => s.destroy());
    const stream = client.open();
    stream.write('x');
    const error = await errorOf(stream);
    expect(error).toBeInstanceOf(MuxError);
    expect(error.code).toBe('STREAM_RESET');
    expect(client.streamCount).toBe(0);
  });

  it('pings both ways', async () => {
    const { client, server } = await pair();
    const [a, b] = await Promise.all([client.ping(), server.ping()]);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).toBeGreaterThanOrEqual(0);
  });

  it('go-away stops new streams from the peer, existing ones go on', async () => {
    const { client, server } = await pair();
    const accepted = nextStream(server).then((s) => s.pipe(s));
    const before = client.open();
    before.write('a');
    await accepted;
    const goaway = once(client, 'goaway');
    server.goAway();
    await goaway;
    expect(() => client.open()).toThrow(expect.objectContaining({ code: 'REMOTE_GOAWAY' }));
    before.end('b');
    expect((await readAll(before)).toString()).toBe('ab');
  });

  it('destroys every open stream with SESSION_CLOSED when the transport ends', async () => {
    const { client, server } = await pair();
    const stream = client.open();
    const accepted = await nextStream(server);
    const errors = Promise.all([errorOf(stream), errorOf(accepted)]);
    connection?.client.destroy();
    for (const error of await errors) {
      expect(error.code).toBe('SESSION_CLOSED');
    }
    await Promise.all([client.destroyed || once(client, 'close'), server.destroyed || once(server, 'close')]);
    expect(() => server.open()).toThrow(expect.objectContaining({ code: 'SESSION_CLOSED' }));
  });

  it('close() half-closes streams, waits for the peer, then ends the transport', async () => {
    const { client, server } = await pair();
    server.on('stream', (s: Stream) => s.pipe(s));
    const stream = client.open();
    stream.write('last words');
    const echoed = readAll(stream);
    const closed = client.close();
    expect(() => client.open()).toThrow(expect.objectContaining({ code: 'SESSION_CLOSED' }));
    await closed;
    expect((await echoed).toString()).toBe('last words');
    expect(client.destroyed).toBe(true);
    if (!server.destroyed) await once(server, 'close');
  });

  it('carries many concurrent streams', async () => {
    const { client, server } = await pair();
    server.on('stream', (s: Stream) => s.pipe(s));
    const replies = Array.from({ length: 50 }, (_, i) => {
      const stream = client.open();
      stream.end(`stream ${i} `.repeat(i * 100));
      return readAll(stream).then((b) => b.toString() === `stream ${i} `.repeat(i * 100));
    });
    expect(await Promise.all(replies)).toEqual(Array(50).fill(true));
  });
});
