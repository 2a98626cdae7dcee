import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@kata-ts/logging';
import { decodeHeader, FrameType, GoAwayCode, HEADER_SIZE, Session } from '@kata-ts/mux';
import { ChannelClient } from './channel-client';
import { PortChannelError } from './errors';
import { listenPorts } from './port-channel';

const log = createLogger({ name: 'vsock-test', level: 'silent' });
let dir: string;
let server: Server;
const cleanups: (() => void)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'channel-client-'));
});
afterEach(async () => {
  cleanups.splice(0).forEach((f) => f());
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** A unix socket pair: [host end, guest end]. */
async function socketPair(): Promise<[Socket, Socket]> {
  const path = join(dir, 'chardev.sock');
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer(resolve);
    server.listen(path);
  });
  await once(server, 'listening');
  const host = connect(path);
  const guest = await accepted;
  cleanups.push(() => host.destroy(), () => guest.destroy());
  return [host, guest];
}

function echoGuest(socket: Duplex): Session {
  const session = new Session(socket, { role: 'server', keepAliveIntervalMs: false, logger: log });
  session.on('error', () => {});
  listenPorts(session, { 1024: (stream) => stream.on('error', () => {}).pipe(stream) });
  return session;
}

/** A session's own view of the socket: ending the session leaves the socket up. */
function tapOf(socket: Socket): Duplex {
  const tap = new Duplex({
    read() {},
    write: (chunk: Buffer, _encoding, callback) => (socket.write(chunk), callback()),
    final: (callback) => callback(),
  });
  const onData = (chunk: Buffer) => tap.push(chunk);
  socket.on('data', onData);
  tap.once('close', () => socket.off('data', onData));
  return tap;
}

async function roundTrip(stream: Duplex, text: string): Promise<string> {
  stream.write(text);
  const [chunk] = (await once(stream, 'data')) as [Buffer];
  return chunk.toString();
}

describe('ChannelClient', () => {
  it('sends nothing but pings until the guest answers one, then opens streams', async () => {
    const [host, guest] = await socketPair();
    const received: Buffer[] = [];
    const drop = (chunk: Buffer) => received.push(chunk);
    guest.on('data', drop);
    const channel = new ChannelClient(host, { pingIntervalMs: 20, logger: log });
    cleanups.push(() => channel.close());
    const connecting = channel.connect(1024, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 150));
    expect(channel.ready).toBe(false);
    const eaten = Buffer.concat(received);
    expect(eaten.length).toBeGreaterThanOrEqual(2 * HEADER_SIZE);
    for (let at = 0; at < eaten.length; at += HEADER_SIZE) {
      expect(decodeHeader(eaten.subarray(at, at + HEADER_SIZE)).type).toBe(FrameType.Ping);
    }
    // The guest's session comes up late: what it missed is gone, the next ping is answered.
    guest.off('data', drop);
    echoGuest(guest);
    const stream = await connecting;
    expect(channel.ready).toBe(true);
    expect(await roundTrip(stream, 'hello')).toBe('hello');
  });

  it('fails a stream at once with STREAM_LOST when the guest session that answered died before seeing it', async () => {
    const [host, guest] = await socketPair();
    const first = tapOf(guest);
    const answered = echoGuest(first);
    const channel = new ChannelClient(host, { pingIntervalMs: 20, streamProbeMs: 50, logger: log });
    cleanups.push(() => channel.close());
    await once(channel, 'ready');
    // That session reads a spurious end-of-file and closes the port: what arrives is discarded.
    first.destroy();
    answered.destroy();
    let dropped = 0;
    const drop = (chunk: Buffer) => (dropped += chunk.length);
    guest.on('data', drop);
    const connecting = channel.connect(1024, { timeoutMs: 60_000 }).catch((e: unknown) => e);
    while (dropped < 2 * HEADER_SIZE + 4) await new Promise((r) => setTimeout(r, 5)); // SYN + port header
    guest.off('data', drop);
    echoGuest(tapOf(guest)); // the port reopened: a fresh session
    const error = await connecting;
    expect(error).toBeInstanceOf(PortChannelError);
    expect((error as PortChannelError).code).toBe('STREAM_LOST');
    const retry = await channel.connect(1024);
    expect(await roundTrip(retry, 'retried')).toBe('retried');
    expect(channel.generation).toBe(1);
  });

  it('gives up with NOT_READY when the guest never answers', async () => {
    const [host, guest] = await socketPair();
    guest.resume();
    const channel = new ChannelClient(host, { pingIntervalMs: 20, logger: log });
    cleanups.push(() => channel.close());
    const error = await channel.connect(1024, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortChannelError);
    expect((error as PortChannelError).code).toBe('NOT_READY');
  });

  it('starts a new session on the same connection when the guest restarts its side', async () => {
    const [host, guest] = await socketPair();
    const guestSession = echoGuest(tapOf(guest));
    const channel = new ChannelClient(host, { pingIntervalMs: 20, resyncDelayMs: 20, logger: log });
    cleanups.push(() => channel.close());
    const first = await channel.connect(1024);
    expect(await roundTrip(first, 'one')).toBe('one');
    // The guest ends its session with GoAway(protocol error); the connection stays.
    const reset = once(channel, 'reset');
    guestSession.goAway(GoAwayCode.ProtocolError);
    await reset;
    first.on('error', () => {});
    expect(first.destroyed).toBe(true);
    echoGuest(tapOf(guest));
    const second = await channel.connect(1024);
    expect(channel.generation).toBe(2);
    expect(await roundTrip(second, 'two')).toBe('two');
    expect(channel.closed).toBe(false);
  });

  it('closes when the channel ends, failing a pending connect with CHANNEL_CLOSED', async () => {
    const [host, guest] = await socketPair();
    guest.resume();
    const channel = new ChannelClient(host, { logger: log });
    const connecting = channel.connect(1024, { timeoutMs: 5000 }).catch((e: unknown) => e);
    const closed = once(channel, 'close');
    guest.end();
    await closed;
    const error = await connecting;
    expect((error as PortChannelError).code).toBe('CHANNEL_CLOSED');
  });
});
