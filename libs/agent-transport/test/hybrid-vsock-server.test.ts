// serveHybridVsock over a stand-in guest (an in-memory duplex per accepted port), with the real
// hybrid-vsock client on a real unix socket.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createLogger } from '@kata-ts/logging';
import { connectHybridVsock, serveHybridVsock, type HybridVsockServer } from '../src/index';

const log = createLogger({ name: 'test', level: 'silent' });
let dir: string;
let server: HybridVsockServer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hvsock-server-'));
});
afterEach(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A guest port that answers each write with the same bytes, upper-cased, and ends when the host does. */
function upperCasePort(): Duplex {
  const port: Duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      port.push(chunk.toString().toUpperCase());
      done();
    },
    final(done) {
      port.push(null);
      done();
    },
  });
  return port;
}

const read = (socket: Duplex) =>
  new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (b: Buffer) => (text += b.toString()));
    socket.on('end', () => resolve(text));
  });

it('connects each CONNECT to its guest port, both ways with half-close; a refused port gets no OK', async () => {
  const listenPath = join(dir, 'proxy.sock');
  const asked: number[] = [];
  server = await serveHybridVsock({
    listenPath,
    log,
    connect: async (port) => {
      asked.push(port);
      if (port !== 1024) throw new Error('nothing listens there');
      return upperCasePort();
    },
  });
  const socket = await connectHybridVsock({ path: listenPath, port: 1024 });
  const answer = read(socket);
  socket.end('hello');
  expect(await answer).toBe('HELLO');
  await expect(connectHybridVsock({ path: listenPath, port: 2000 })).rejects.toMatchObject({ code: expect.any(String) });
  expect(asked).toEqual([1024, 2000]);
});

it('close drops open clients and removes the socket', async () => {
  const listenPath = join(dir, 'proxy.sock');
  server = await serveHybridVsock({ listenPath, log, connect: async () => upperCasePort() });
  const socket = await connectHybridVsock({ path: listenPath, port: 1024 });
  const closed = new Promise((resolve) => socket.once('close', resolve));
  await server.close();
  await closed;
  expect(existsSync(listenPath)).toBe(false);
});
