// The hybrid-vsock client and server halves against real unix sockets, playing the VMM's part.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectHybridVsock, HybridVsockError, hybridVsockOk, readHybridVsockRequest } from '../src/index';

let dir: string;
let server: Server | undefined;
const sockets = new Set<Socket>();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hvsock-'));
});
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A VMM stand-in: hands every connection to `onConnection`. */
async function vmm(onConnection: (socket: Socket) => void): Promise<string> {
  const path = join(dir, 'vm.sock');
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server!.listen(path, resolve));
  return path;
}

function codeOf(error: unknown): string | undefined {
  return error instanceof HybridVsockError ? error.code : undefined;
}

describe('connectHybridVsock', () => {
  it('sends CONNECT <port>, accepts OK <n>, keeps the bytes that follow the reply', async () => {
    const requests: number[] = [];
    const path = await vmm(async (socket) => {
      const port = await readHybridVsockRequest(socket, 'vmm');
      requests.push(port);
      socket.write(hybridVsockOk(1073741824) + 'hello from the guest');
      socket.pipe(socket);
    });
    const socket = await connectHybridVsock({ path, port: 1024 });
    sockets.add(socket);
    expect(requests).toEqual([1024]);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.write('|echo');
    await new Promise<void>((resolve) => {
      const check = () => (Buffer.concat(received).toString() === 'hello from the guest|echo' ? resolve() : setTimeout(check, 5));
      check();
    });
  });

  it('maps each failure to a code: UNREACHABLE, NOT_READY, BAD_REPLY, HANDSHAKE_TIMEOUT', async () => {
    const missing = await connectHybridVsock({ path: join(dir, 'absent.sock'), port: 1024 }).catch((e) => e);
    expect(codeOf(missing)).toBe('UNREACHABLE');
    expect((missing as HybridVsockError).retryable).toBe(true);
    expect((missing as Error).message).toContain('absent.sock port 1024');

    let behaviour: 'close' | 'garbage' | 'silent' = 'close';
    const path = await vmm(async (socket) => {
      await readHybridVsockRequest(socket, 'vmm');
      if (behaviour === 'close') socket.end();
      if (behaviour === 'garbage') socket.write('ERR no\n');
    });
    const notReady = await connectHybridVsock({ path, port: 1026 }).catch((e) => e);
    expect(codeOf(notReady)).toBe('NOT_READY');
    expect((notReady as HybridVsockError).retryable).toBe(true);

    behaviour = 'garbage';
    const bad = await connectHybridVsock({ path, port: 1026 }).catch((e) => e);
    expect(codeOf(bad)).toBe('BAD_REPLY');
    expect((bad as HybridVsockError).retryable).toBe(false);

    behaviour = 'silent';
    const slow = await connectHybridVsock({ path, port: 1026, handshakeTimeoutMs: 50 }).catch((e) => e);
    expect(codeOf(slow)).toBe('HANDSHAKE_TIMEOUT');
    expect((slow as HybridVsockError).retryable).toBe(true);
  });

  it('gives the abort reason when the caller aborts mid-handshake', async () => {
    const path = await vmm(() => {});
    const controller = new AbortController();
    const pending = connectHybridVsock({ path, port: 1024, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shim shutting down')), 20);
    await expect(pending).rejects.toThrow('shim shutting down');
  });
});

describe('readHybridVsockRequest', () => {
  it.each(['CONNECT\n', 'CONNECT x\n', 'connect 1024\n', 'CONNECT 99999999999\n', `CONNECT ${'1'.repeat(80)}`])(
    'rejects %j with BAD_REQUEST',
    async (request) => {
      const errors: unknown[] = [];
      const path = await vmm((socket) => {
        readHybridVsockRequest(socket, 'vmm').catch((e) => {
          errors.push(e);
          socket.destroy();
        });
      });
      const client = createConnection(path);
      sockets.add(client);
      client.on('error', () => {});
      client.end(request);
      await new Promise((resolve) => client.on('close', resolve));
      expect(errors.map(codeOf)).toEqual(['BAD_REQUEST']);
    },
  );
});
