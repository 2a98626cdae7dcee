// connectAgent against a stand-in guest: a hybrid-vsock socket (kata-proxy's part) serving
// grpc.Health over ttrpc on the agent's port, as the real agent does.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hybridVsockOk, readHybridVsockRequest } from '@kata-ts/agent-transport';
import { AGENT_PORT } from '@kata-ts/guest-contract';
import { createLogger } from '@kata-ts/logging';
import { health } from '@kata-ts/protocols';
import { Server as TtrpcServer } from '@kata-ts/ttrpc';
import { AgentConnectError, connectAgent } from '../src/index';

const log = createLogger({ name: 'test', level: 'silent' });
const { SERVING, NOT_SERVING } = health.HealthCheckResponse_ServingStatus;
let dir: string;
let server: Server | undefined;
const sockets = new Set<Socket>();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-client-'));
});
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A guest whose agent answers Health with `status()`; every CONNECT to another port is refused. */
async function guest(path: string, status: () => number, ports: number[] = []): Promise<void> {
  const ttrpc = new TtrpcServer({ logger: log }).register(health.HealthDefinition, {
    check: async () => ({ status: status() }),
    version: async () => ({ grpcVersion: 'ttrpc', agentVersion: 'test' }),
  });
  server = createServer(async (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    const port = await readHybridVsockRequest(socket, path).catch(() => undefined);
    if (port === undefined) return socket.destroy();
    ports.push(port);
    if (port !== AGENT_PORT) return socket.destroy();
    socket.write(hybridVsockOk(1));
    void ttrpc.serve(socket);
  });
  await new Promise<void>((resolve) => server!.listen(path, resolve));
}

describe('connectAgent', () => {
  it('returns a client once the agent is SERVING, retrying until then', async () => {
    const path = join(dir, 'proxy.sock');
    let checks = 0;
    const ports: number[] = [];
    await guest(path, () => (++checks < 3 ? NOT_SERVING : SERVING), ports);
    const agent = await connectAgent({ kind: 'hybrid-vsock', socketPath: path, port: AGENT_PORT }, { timeoutMs: 10_000, log });
    expect(checks).toBe(3);
    expect(new Set(ports)).toEqual(new Set([AGENT_PORT]));
    await agent.check(1000);
    await agent.close();
  });

  it('waits for a socket that appears late', async () => {
    const path = join(dir, 'late.sock');
    setTimeout(() => void guest(path, () => SERVING), 300);
    const agent = await connectAgent({ kind: 'hybrid-vsock', socketPath: path, port: AGENT_PORT }, { timeoutMs: 10_000, log });
    await agent.close();
  });

  it('fails with UNREACHABLE naming the channel when nothing answers in time', async () => {
    const path = join(dir, 'missing.sock');
    const err = await connectAgent({ kind: 'hybrid-vsock', socketPath: path, port: AGENT_PORT }, { timeoutMs: 300, log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentConnectError);
    expect((err as AgentConnectError).code).toBe('UNREACHABLE');
    expect((err as Error).message).toContain(`hybrid-vsock ${path} port ${AGENT_PORT}`);
  });

  it('fails when the agent never becomes SERVING', async () => {
    const path = join(dir, 'sick.sock');
    await guest(path, () => NOT_SERVING);
    const err = await connectAgent({ kind: 'hybrid-vsock', socketPath: path, port: AGENT_PORT }, { timeoutMs: 500, log }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentConnectError);
    expect((err as Error).message).toMatch(/NOT_SERVING/);
  });
});
