// kata-proxy as a real process (the esbuild bundle), between hybrid-vsock clients and a fake
// guest on a unix socket standing in for QEMU's virtio-serial chardev.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectHybridVsock, createDialer, DialError, HybridVsockError } from '@kata-ts/agent-transport';
import { echo, startFakeGuest, startReopeningGuest, type FakeGuest, type ReopeningGuest } from './fake-guest';
import { assertBundle, bundle, exited, killProxy, spawnProxy } from './proxy-process';

let dir: string;
let channelPath: string;
let listenPath: string;
let proxy: ChildProcess | undefined;
let stdout = '';
const guests: (FakeGuest | ReopeningGuest)[] = [];
const streams: Duplex[] = [];

beforeAll(assertBundle);
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'proxy-'));
  channelPath = join(dir, 'agent.chardev.sock');
  listenPath = join(dir, 'kata.hvsock');
  stdout = '';
});
afterEach(async () => {
  streams.splice(0).forEach((s) => s.destroy());
  await killProxy(proxy);
  proxy = undefined;
  await Promise.all(guests.splice(0).map((g) => g.kill()));
  rmSync(dir, { recursive: true, force: true });
});

/** Starts kata-proxy and waits for its ready line on fd 3. */
async function startProxy(extra: string[] = []): Promise<ChildProcess> {
  const { child, ready } = spawnProxy(['--channel', channelPath, '--listen', listenPath, '--sandbox', 'sb1', '--log', join(dir, 'proxy.log'), ...extra]);
  proxy = child;
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  expect(await ready).toBe('ready\n');
  return child;
}

async function guest(ports: Parameters<typeof startFakeGuest>[1] = { 1024: echo }, bootDelayMs = 0): Promise<FakeGuest> {
  const g = await startFakeGuest(channelPath, ports, bootDelayMs);
  guests.push(g);
  return g;
}

async function dial(port = 1024): Promise<Duplex> {
  const stream = await createDialer(`hvsock://${listenPath}:${port}`).dial({ timeoutMs: 10_000 });
  streams.push(stream);
  return stream;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Sends raw bytes on the hybrid socket and returns everything until the proxy closes it. */
async function rawExchange(request: string): Promise<string> {
  const socket = createConnection(listenPath);
  streams.push(socket);
  socket.write(request);
  return (await readAll(socket)).toString();
}

describe('kata-proxy', () => {
  it('waits for the channel, answers OK <n> from 2^30 up, and echoes through the guest', async () => {
    const starting = startProxy();
    await new Promise((r) => setTimeout(r, 100)); // QEMU's socket appears after the proxy started
    await guest();
    await starting;
    const socket = createConnection(listenPath);
    streams.push(socket);
    socket.write('CONNECT 1024\nhello');
    socket.end();
    expect((await readAll(socket)).toString()).toMatch(/^OK 107374182[5-9]\nhello$/);
    expect(stdout).toBe('');
  });

  it('holds a CONNECT while the agent boots, and lets the dialer retry past --accept-timeout', async () => {
    await guest({ 1024: echo }, 800);
    await startProxy(['--accept-timeout', '200']);
    const stream = await dial();
    stream.end('booted');
    expect((await readAll(stream)).toString()).toBe('booted');
    expect(readFileSync(join(dir, 'proxy.log'), 'utf8')).toContain('guest did not accept the port');
  });

  it('carries many concurrent connections, each to its own guest stream', async () => {
    await guest();
    await startProxy();
    const replies = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const stream = await dial();
        stream.end(`message ${i}`);
        return (await readAll(stream)).toString();
      }),
    );
    replies.forEach((reply, i) => expect(reply).toBe(`message ${i}`));
  });

  it('moves 16 MiB each way through one connection with backpressure intact', async () => {
    await guest();
    await startProxy();
    const stream = await dial();
    const payload = randomBytes(16 << 20);
    const echoed = readAll(stream);
    stream.end(payload);
    const back = await echoed;
    expect(back.length).toBe(payload.length);
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('keeps half-close: the guest still answers after the client sent FIN', async () => {
    await guest({
      1026: (stream) => {
        stream.on('error', () => {});
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => stream.end(`got ${Buffer.concat(chunks).length} bytes`));
      },
    });
    await startProxy();
    const stream = await dial(1026);
    stream.end('abcdef');
    expect((await readAll(stream)).toString()).toBe('got 6 bytes');
  });

  it('closes without OK for a port nobody listens on, so dialers retry', async () => {
    await guest();
    await startProxy();
    expect(await rawExchange('CONNECT 4242\n')).toBe('');
    expect(await rawExchange('HELLO\n')).toBe('');
    const error = await createDialer(`hvsock://${listenPath}:4242`).dial({ timeoutMs: 300 }).catch((e) => e);
    expect(error).toBeInstanceOf(DialError);
    expect((error as DialError).cause).toBeInstanceOf(HybridVsockError);
    expect(((error as DialError).cause as HybridVsockError).code).toBe('NOT_READY');
    // Still serving after refusals.
    const stream = await dial();
    stream.end('still here');
    expect((await readAll(stream)).toString()).toBe('still here');
  });

  it('exits 0 and removes its socket when the VM goes away', async () => {
    const g = await guest();
    const child = await startProxy();
    const stream = await dial();
    stream.on('error', () => {});
    const streamClosed = new Promise((resolve) => stream.once('close', resolve));
    await g.kill();
    expect(await exited(child)).toBe(0);
    expect(existsSync(listenPath)).toBe(false);
    await streamClosed;
    expect(stdout).toBe('');
  });

  it('exits 0 and removes its socket on SIGTERM', async () => {
    await guest();
    const child = await startProxy();
    expect(existsSync(listenPath)).toBe(true);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(existsSync(listenPath)).toBe(false);
    const log = readFileSync(join(dir, 'proxy.log'), 'utf8');
    expect(log).toContain('"sandbox":"sb1"');
    expect(log).toContain('"reason":"stopped"');
  });

  it('exits 1 when the channel never appears', async () => {
    const child = spawn(process.execPath, [bundle, '--channel', channelPath, '--listen', listenPath, '--channel-timeout', '200'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proxy = child;
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await exited(child)).toBe(1);
    expect(stderr).toContain('DIAL_TIMEOUT');
    expect(existsSync(listenPath)).toBe(false);
  });
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
}

/**
 * The virtio-serial boot race: a guest port that reads EOF before the host connects is closed
 * and reopened, and the guest kernel discards what the host sent meanwhile; yamux cannot
 * resynchronise after lost frames. kata-proxy must not open streams before the guest's session
 * answers, and must survive the guest restarting its session.
 */
describe('kata-proxy and a guest that reopens its port', () => {
  it('answers the first CONNECT although the guest ate what the proxy sent before its session was up', async () => {
    const g = await startReopeningGuest(channelPath, { 1024: echo });
    guests.push(g);
    await startProxy(['--accept-timeout', '4000']);
    await g.connected;
    // One CONNECT, no dialer retries: it is sent while the guest is still closing its port.
    const connecting = connectHybridVsock({ path: listenPath, port: 1024, handshakeTimeoutMs: 4500 });
    connecting.catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    await until(() => g.dropped > 0);
    g.reopen();
    const stream = await connecting;
    streams.push(stream);
    stream.end('first connect');
    expect((await readAll(stream)).toString()).toBe('first connect');
  }, 10_000);

  it('stays up when the guest restarts its mux session, and serves the next CONNECT', async () => {
    const g = await startReopeningGuest(channelPath, { 1024: echo });
    guests.push(g);
    const child = await startProxy();
    await g.connected;
    g.reopen();
    const before = await dial();
    before.on('error', () => {});
    before.write('hello');
    await new Promise((resolve) => before.once('data', resolve));
    const dropped = new Promise((resolve) => before.once('close', resolve));
    g.restartSession();
    await dropped; // its stream died with the guest's session: the client sees the connection end
    const after = await dial();
    after.end('after the restart');
    expect((await readAll(after)).toString()).toBe('after the restart');
    expect(child.exitCode).toBeNull();
    expect(readFileSync(join(dir, 'proxy.log'), 'utf8')).toContain('guest restarted its mux session');
  }, 15_000);
});
