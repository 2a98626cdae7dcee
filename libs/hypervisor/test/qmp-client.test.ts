import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_QEMU_PATH, HypervisorError, QmpClient, type QmpEvent } from '../src';

describe('QmpClient against a real QEMU', () => {
  let qemu: ChildProcess | undefined;
  let dir: string;
  let client: QmpClient | undefined;

  afterEach(() => {
    client?.close();
    qemu?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function startQemu(): Promise<string> {
    dir = mkdtempSync(join(tmpdir(), 'qmp-'));
    const socket = join(dir, 'qmp.sock');
    qemu = spawn(DEFAULT_QEMU_PATH, ['-machine', 'none', '-nodefaults', '-nographic', '-qmp', `unix:${socket},server=on,wait=off`], { stdio: 'ignore' });
    for (let i = 0; i < 500 && !existsSync(socket); i++) await sleep(10);
    return socket;
  }

  /** The socket file appears at bind(), a moment before QEMU listens: retry refusals. */
  async function connectWhenListening(socket: string): Promise<QmpClient> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await QmpClient.connect(socket);
      } catch (err) {
        if (attempt > 200) throw err;
        await sleep(10);
      }
    }
  }

  it('negotiates, runs commands, reports errors and events, and sees QEMU quit', async () => {
    client = await connectWhenListening(await startQemu());
    const status = await client.execute<{ status: string; running: boolean }>('query-status');
    expect(status.status).toBeTypeOf('string');
    const version = await client.execute<{ qemu: { major: number } }>('query-version');
    expect(version.qemu.major).toBeGreaterThanOrEqual(7);
    await expect(client.execute('no-such-command')).rejects.toMatchObject({ code: 'QMP_ERROR', message: expect.stringMatching(/CommandNotFound/) });

    const events: QmpEvent[] = [];
    client.on('event', (e) => events.push(e));
    const closed = new Promise<void>((resolve) => client!.once('close', resolve));
    const exited = new Promise<number | null>((resolve) => qemu!.once('exit', resolve));
    await client.execute('quit').catch(() => {});
    await closed;
    expect(await exited).toBe(0);
    expect(events.map((e) => e.event)).toContain('SHUTDOWN');
    await expect(client.execute('query-status')).rejects.toBeInstanceOf(HypervisorError);
  });

  it('fails pending commands when the connection drops', async () => {
    client = await connectWhenListening(await startQemu());
    const pending = client.execute('query-status');
    qemu!.kill('SIGKILL');
    // Either the reply won the race or the drop failed it; never a hang.
    await pending.catch((err: unknown) => expect(err).toMatchObject({ code: 'QMP_CLOSED' }));
    await new Promise<void>((resolve) => (client!.closed ? resolve() : client!.once('close', resolve)));
    expect(client.closed).toBe(true);
  });

  it('rejects a socket nobody listens on', async () => {
    dir = mkdtempSync(join(tmpdir(), 'qmp-'));
    await expect(QmpClient.connect(join(dir, 'missing.sock'))).rejects.toMatchObject({ code: 'QMP_CLOSED' });
  });

  it('fails at once, not at its timeout, when QEMU closes QMP before greeting (it died starting)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'qmp-'));
    const socket = join(dir, 'qmp.sock');
    const server = createServer((conn) => conn.destroy());
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      // The 30 s greeting timeout is beyond the test's own: only the close can end this in time.
      await expect(QmpClient.connect(socket, { timeoutMs: 30_000 })).rejects.toMatchObject({ code: 'QMP_CLOSED', message: expect.stringContaining('before its greeting') });
    } finally {
      server.close();
    }
  });
});
