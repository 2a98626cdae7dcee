// The shim's dialer against real sockets: retries while the VMM or the agent is not up yet.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDialer, DialError, errnoCode, HybridVsockError, hybridVsockOk, loadVsockAddon, readHybridVsockRequest } from '../src/index';

let dir: string;
const servers: Server[] = [];
const sockets = new Set<Duplex>();
const timers: NodeJS.Timeout[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dialer-'));
});
afterEach(async () => {
  timers.splice(0).forEach(clearTimeout);
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

function serve(path: string, onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onConnection(socket);
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

async function echoOnce(stream: Duplex, text: string): Promise<string> {
  sockets.add(stream);
  stream.write(text);
  return new Promise((resolve) => stream.once('data', (chunk: Buffer) => resolve(chunk.toString())));
}

describe('createDialer', () => {
  it('hvsock: retries through a missing socket and a not-ready guest, then connects', async () => {
    const path = join(dir, 'kata.hvsock');
    let refusals = 3;
    timers.push(
      setTimeout(() => {
        void serve(path, async (socket) => {
          await readHybridVsockRequest(socket, path);
          if (refusals-- > 0) return socket.end(); // the agent is not listening yet
          socket.write(hybridVsockOk(7));
          socket.pipe(socket);
        });
      }, 100),
    );
    const stream = await createDialer(`hvsock://${path}:1024`).dial({ timeoutMs: 10_000 });
    expect(await echoOnce(stream, 'ping')).toBe('ping');
    expect(refusals).toBe(-1);
  });

  it('hvsock: retries after a handshake timeout (a booting guest answering late)', async () => {
    const path = join(dir, 'kata.hvsock');
    let connections = 0;
    await serve(path, async (socket) => {
      await readHybridVsockRequest(socket, path);
      if (connections++ === 0) return; // the first attempt gets no answer at all
      socket.write(hybridVsockOk(9));
      socket.pipe(socket);
    });
    const stream = await createDialer(`hvsock://${path}:1024`, { handshakeTimeoutMs: 100 }).dial({ timeoutMs: 10_000 });
    expect(await echoOnce(stream, 'late')).toBe('late');
    expect(connections).toBe(2);
  });

  it('hvsock: gives up at once on a reply no retry can fix', async () => {
    const path = join(dir, 'kata.hvsock');
    let connections = 0;
    await serve(path, (socket) => {
      connections++;
      socket.write('NO\n');
    });
    const error = await createDialer(`hvsock://${path}:1024`).dial({ timeoutMs: 10_000 }).catch((e) => e);
    expect(error).toBeInstanceOf(HybridVsockError);
    expect((error as HybridVsockError).code).toBe('BAD_REPLY');
    expect(connections).toBe(1);
  });

  it('times out with DIAL_TIMEOUT naming the URI and the last error', async () => {
    const uri = `hvsock://${join(dir, 'never.sock')}:1024`;
    const error = await createDialer(uri).dial({ timeoutMs: 150 }).catch((e) => e);
    expect(error).toBeInstanceOf(DialError);
    expect((error as DialError).code).toBe('DIAL_TIMEOUT');
    expect((error as Error).message).toContain(uri);
    expect((error as Error).cause).toBeInstanceOf(HybridVsockError);
    expect(((error as Error).cause as HybridVsockError).code).toBe('UNREACHABLE');
  });

  it('takes a timeout that is not a whole number of milliseconds (what is left of a budget)', async () => {
    const error = await createDialer(`unix://${join(dir, 'never.sock')}`).dial({ timeoutMs: 100.5 }).catch((e) => e);
    expect((error as DialError).code).toBe('DIAL_TIMEOUT');
  });

  it('stops with ABORTED when the caller aborts', async () => {
    const controller = new AbortController();
    timers.push(setTimeout(() => controller.abort(), 50));
    const error = await createDialer(`unix://${join(dir, 'never.sock')}`)
      .dial({ signal: controller.signal })
      .catch((e) => e);
    expect((error as DialError).code).toBe('ABORTED');
  });

  it('unix: waits for the socket to appear', async () => {
    const path = join(dir, 'agent.sock');
    timers.push(setTimeout(() => void serve(path, (socket) => socket.pipe(socket)), 100));
    const stream = await createDialer(`unix://${path}`).dial({ timeoutMs: 10_000 });
    expect(await echoOnce(stream, 'hi')).toBe('hi');
  });

  it('refuses serial:// (guest side only)', () => {
    expect(() => createDialer('serial://agent.channel.0:1024')).toThrow(/guest-side/);
  });

  it.skipIf(!readFileSync('/proc/net/protocols', 'utf8').includes('AF_VSOCK'))(
    'vsock: keeps retrying a CID that is not there, then times out with the errno',
    async () => {
      const cid = loadVsockAddon().localCid(); // connecting to ourselves fails locally with ENODEV
      const error = await createDialer(`vsock://${cid}:1024`).dial({ timeoutMs: 200 }).catch((e) => e);
      expect((error as DialError).code).toBe('DIAL_TIMEOUT');
      expect(errnoCode((error as Error).cause)).toBe('ENODEV');
      expect((error as Error).message).toMatch(/\(\d+ attempts/);
    },
  );
});
