import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Session } from '../src/session';
import type { Stream } from '../src/stream';
import { connectUnixSocket, errorOf, readAll, silentLogger, type Connection } from './helpers/streams';

/**
 * The proxy's job, end to end over real unix sockets: a host connection is bridged to a mux
 * stream with two pipelines, the way README.md recommends, and half-close and abort carry over.
 */
describe('bridging host connections to mux streams (kata-proxy pattern)', () => {
  let dir: string;
  let channel: Connection;
  let listener: Server;
  const sockets: Socket[] = [];
  const proxySide: Socket[] = [];
  const sessions: Session[] = [];

  async function setup(onAgentStream: (s: Stream) => void): Promise<string> {
    dir = mkdtempSync(join(tmpdir(), 'mux-bridge-'));
    channel = await connectUnixSocket();
    const proxy = new Session(channel.client, { role: 'client', keepAliveIntervalMs: false, acceptBacklog: 0, logger: silentLogger });
    const agent = new Session(channel.server, { role: 'server', keepAliveIntervalMs: false, logger: silentLogger });
    sessions.push(proxy, agent);
    agent.on('stream', onAgentStream);
    const path = join(dir, 'proxy.sock');
    // allowHalfOpen: the host's EOF must become a FIN, not also end our reply direction.
    listener = createServer({ allowHalfOpen: true }, (conn) => {
      proxySide.push(conn);
      const stream = proxy.open();
      pipeline(conn, stream, () => {});
      pipeline(stream, conn, () => {});
    });
    listener.listen(path);
    await once(listener, 'listening');
    return path;
  }

  async function dial(path: string): Promise<Socket> {
    const socket = connect({ path, allowHalfOpen: true });
    sockets.push(socket);
    await once(socket, 'connect');
    return socket;
  }

  afterEach(async () => {
    for (const s of [...sockets.splice(0), ...proxySide.splice(0)]) s.destroy();
    for (const s of sessions.splice(0)) s.destroy();
    listener?.close();
    await channel?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries a request, the host EOF as FIN, and the reply after it', async () => {
    const path = await setup(async (s) => {
      const request = await readAll(s);
      s.end(Buffer.from([...request].reverse()));
    });
    const socket = await dial(path);
    socket.end('request from the shim');
    expect((await readAll(socket)).toString()).toBe('mihs eht morf tseuqer');
  });

  it('turns a failed host connection into a stream reset for the agent', async () => {
    let agentError!: Promise<Error & { code?: string }>;
    const accepted = new Promise<void>((resolve) => {
      void setup((s) => {
        agentError = errorOf(s);
        s.resume();
        resolve();
      }).then(async (path) => (await dial(path)).write('x'));
    });
    await accepted;
    // An unix socket has no RST to send: what the proxy sees is an error on its side (EPIPE...).
    for (const conn of proxySide) conn.destroy(new Error('host connection failed'));
    expect((await agentError).code).toBe('STREAM_RESET');
  });
});
