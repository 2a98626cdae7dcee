import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../src/session';
import type { Stream } from '../src/stream';
import { readAll, silentLogger } from './helpers/streams';

/**
 * Live interop with hashicorp/yamux. Needs a Go toolchain and a local copy of the yamux module
 * (YAMUX_SRC=/path/to/hashicorp/yamux, e.g. v0.1.2); neither is on CI, where the byte-exact
 * golden tests in src/session-wire.test.ts stand in for it.
 */
const yamuxSrc = process.env.YAMUX_SRC;
const haveGo = (() => {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const available = Boolean(yamuxSrc && existsSync(join(yamuxSrc, 'session.go')) && haveGo);

describe.skipIf(!available)('interop with hashicorp/yamux (YAMUX_SRC + go)', () => {
  let dir: string;
  let peerBin: string;
  let listener: Server | undefined;
  let peer: ChildProcess | undefined;
  const sessions: Session[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mux-interop-'));
    copyFileSync(fileURLToPath(new URL('./interop/yamux-peer.go', import.meta.url)), join(dir, 'main.go'));
    writeFileSync(
      join(dir, 'go.mod'),
      `module yamuxpeer\n\ngo 1.19\n\nrequire github.com/hashicorp/yamux v0.1.2\n\nreplace github.com/hashicorp/yamux => ${yamuxSrc}\n`,
    );
    peerBin = join(dir, 'yamux-peer');
    execFileSync('go', ['build', '-o', peerBin, '.'], {
      cwd: dir,
      env: { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=mod', GOCACHE: join(dir, 'cache') },
      stdio: 'inherit',
    });
  }, 120_000);

  afterEach(() => {
    for (const s of sessions.splice(0)) s.destroy();
    if (peer?.pid && peer.exitCode === null) process.kill(-peer.pid, 'SIGKILL');
    peer = undefined;
    listener?.close();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts the Go peer against a fresh unix socket; returns our end and the peer's output. */
  async function startPeer(args: string[]): Promise<{ socket: Socket; exit: Promise<number | null>; stdout: () => string }> {
    const path = join(dir, `s${Date.now()}.sock`);
    listener = createServer().listen(path);
    await once(listener, 'listening');
    const accepted = once(listener, 'connection') as Promise<[Socket]>;
    const child = spawn(peerBin, [args[0] as string, path, ...args.slice(1)], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    peer = child;
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    const exit = once(child, 'exit').then(([code]) => code as number | null);
    const [socket] = await accepted;
    return { socket, exit, stdout: () => out };
  }

  it('our client against a Go server: echo on 8 streams, a Go-opened stream, pings both ways, graceful close', async () => {
    const { socket, exit, stdout } = await startPeer(['server']);
    const session = new Session(socket, { role: 'client', keepAliveIntervalMs: false, logger: silentLogger });
    sessions.push(session);
    const greeting = once(session, 'stream').then(([s]) => readAll(s as Stream));

    const echoes = Array.from({ length: 8 }, async () => {
      const stream = session.open();
      const data = randomBytes(1024 * 1024 + 17);
      stream.end(data);
      const echoed = await readAll(stream);
      return createHash('sha256').update(echoed).digest('hex') === createHash('sha256').update(data).digest('hex');
    });
    expect(await Promise.all(echoes)).toEqual(Array(8).fill(true));
    expect((await greeting).toString()).toBe('hello from go');
    expect(await session.ping()).toBeGreaterThanOrEqual(0);

    await session.close();
    expect(await exit).toBe(0);
    expect(stdout()).toContain('server done');
  }, 60_000);

  it('a Go client against our server: 8 streams x 1 MiB with a 1 MiB window, echoed and checked by Go', async () => {
    const { socket, exit, stdout } = await startPeer(['client', '8', String(1024 * 1024), String(1024 * 1024)]);
    const session = new Session(socket, { role: 'server', keepAliveIntervalMs: false, logger: silentLogger });
    sessions.push(session);
    session.on('stream', (s: Stream) => s.pipe(s));
    expect(await exit).toBe(0);
    expect(stdout().match(/^ok \d+$/gm)).toHaveLength(8);
    expect(stdout()).toContain('client ok');
  }, 60_000);
});
