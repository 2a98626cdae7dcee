// Port routing over a real yamux session (libs/mux) on a connected unix socket pair.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { Session } from '@kata-ts/mux';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectPort, listenPorts, PortChannelError } from '../src/index';

let dir: string;
let server: Server;
let host: Session;
let guest: Session;
const sockets: Socket[] = [];

async function socketPair(): Promise<[Socket, Socket]> {
  const path = join(dir, 'pair.sock');
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer(resolve);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const client = createConnection(path);
  const pair: [Socket, Socket] = [client, await accepted];
  sockets.push(...pair);
  return pair;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portch-'));
  const [a, b] = await socketPair();
  host = new Session(a, { role: 'client', keepAliveIntervalMs: false });
  guest = new Session(b, { role: 'server', keepAliveIntervalMs: false });
  for (const session of [host, guest]) session.on('error', () => {});
});
afterEach(async () => {
  host.destroy();
  guest.destroy();
  sockets.splice(0).forEach((s) => s.destroy());
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function echo(tag: string) {
  return (stream: Duplex) => {
    stream.on('error', () => {}); // reset when the test ends
    stream.write(tag);
    stream.pipe(stream);
  };
}

async function readN(stream: Duplex, length: number): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += (chunk as Buffer).toString();
    if (text.length >= length) return text;
  }
  return text;
}

describe('port channel', () => {
  it('routes each stream to the listener of its port, many at once', async () => {
    listenPorts(guest, { 1024: echo('agent:'), 1026: echo('console:') });
    const streams = await Promise.all(Array.from({ length: 20 }, (_, i) => connectPort(host, i % 2 ? 1026 : 1024)));
    const replies = await Promise.all(
      streams.map((stream, i) => {
        stream.write(`#${i}`);
        const expected = `${i % 2 ? 'console:' : 'agent:'}#${i}`;
        return readN(stream, expected.length);
      }),
    );
    replies.forEach((reply, i) => expect(reply).toBe(`${i % 2 ? 'console:' : 'agent:'}#${i}`));
    streams.forEach((s) => s.destroy());
  });

  it('resets a stream for a port nobody listens on', async () => {
    const refused: PortChannelError[] = [];
    listenPorts(guest, { 1024: echo('agent:') }, { onError: (e) => refused.push(e) });
    const error = await connectPort(host, 2000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortChannelError);
    expect((error as PortChannelError).code).toBe('PORT_REFUSED');
    expect((error as PortChannelError).port).toBe(2000);
    expect(refused.map((e) => [e.code, e.port])).toEqual([['PORT_REFUSED', 2000]]);
    // The session is unharmed.
    const ok = await connectPort(host, 1024);
    expect(await readN(ok, 6)).toBe('agent:');
    ok.destroy();
  });

  it('asks the router each time, so listeners can come and go', async () => {
    const routes = new Map<number, (s: Duplex) => void>();
    listenPorts(guest, (port) => routes.get(port));
    await expect(connectPort(host, 1024)).rejects.toMatchObject({ code: 'PORT_REFUSED' });
    routes.set(1024, echo('late:'));
    const stream = await connectPort(host, 1024);
    expect(await readN(stream, 5)).toBe('late:');
    stream.destroy();
  });

  it('refuses when the guest session goes away before accepting', async () => {
    const pending = connectPort(host, 1024);
    guest.destroy();
    await expect(pending).rejects.toMatchObject({ code: 'PORT_REFUSED', port: 1024 });
  });
});
