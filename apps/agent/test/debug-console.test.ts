import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Session } from '@kata-ts/mux';
import { health } from '@kata-ts/protocols';
import { Client, createClient } from '@kata-ts/ttrpc';
import { connectPort, openSerialPort } from '@kata-ts/agent-transport';
import { isRoot, startTestAgent, type TestAgent } from './harness';

const hasSocat = existsSync('/usr/bin/socat');

interface SerialAgent {
  agent: TestAgent;
  session: Session;
  dispose(): Promise<void>;
}

/**
 * An agent whose "kernel command line" is `cmdline`, serving serial://<pty>:1024 (the guest's
 * virtio-serial channel stand-in); the test holds the host end (kata-proxy's side) of the pair.
 */
async function startSerialAgent(cmdline: string): Promise<SerialAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-console-'));
  const guestPty = join(dir, 'guest');
  const hostPty = join(dir, 'host');
  const cmdlineFile = join(dir, 'cmdline');
  writeFileSync(cmdlineFile, `${cmdline}\n`);
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${guestPty}`, `pty,raw,echo=0,link=${hostPty}`], { stdio: 'ignore' });
  let agent: TestAgent | undefined;
  let session: Session | undefined;
  const dispose = async () => {
    session?.destroy();
    await agent?.stop();
    socat.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 200 && !(existsSync(guestPty) && existsSync(hostPty)); i++) await new Promise((r) => setTimeout(r, 10));
    agent = await startTestAgent({ listen: [`serial://${guestPty}:1024`], args: ['--kernel-cmdline', cmdlineFile] });
    const transport = openSerialPort(hostPty);
    transport.on('error', () => {});
    session = new Session(transport, { role: 'client', keepAliveIntervalMs: false });
    session.on('error', () => {});
    return { agent, session, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

async function agentServes(session: Session): Promise<boolean> {
  const client = new Client(await connectPort(session, 1024, { timeoutMs: 5000 }));
  try {
    return (await createClient(health.HealthDefinition, client).check({ service: '' })).status === health.HealthCheckResponse_ServingStatus.SERVING;
  } finally {
    await client.close();
  }
}

/** Everything the console sends until it closes its end. */
function readToEnd(conn: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    conn.setEncoding('utf8').on('data', (s: string) => (text += s));
    conn.once('end', () => resolve(text));
    conn.once('error', reject);
  });
}

/** Waits until `text` has arrived on `conn`; returns all text so far. */
function waitFor(conn: Duplex, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (s: Buffer) => {
      text += s.toString();
      const m = pattern.exec(text);
      if (m) {
        conn.off('data', onData);
        resolve(m);
      }
    };
    conn.on('data', onData);
    conn.once('end', () => reject(new Error(`console closed before ${pattern}: ${text}`)));
  });
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);

describe.skipIf(!isRoot || !hasSocat)('kata-agent debug console (agent.debug_console, port 1026)', () => {
  let current: SerialAgent | undefined;
  afterEach(async () => {
    await current?.dispose();
    current = undefined;
  }, 30_000);

  it('serves a shell on a pty on port 1026 when the kernel command line asks for it', async () => {
    current = await startSerialAgent('console=ttyS0 agent.debug_console agent.debug_console_vport=1026 quiet');
    const conn = await connectPort(current.session, 1026, { timeoutMs: 5000 });
    const output = readToEnd(conn);
    conn.write('echo console-$((6*7)); tty; exit 7\n');
    const text = await output;
    expect(text).toMatch(/console-42\r\n/);
    expect(text).toMatch(/\/dev\/pts\/\d+\r\n/);
    // The agent's own port is unaffected.
    expect(await agentServes(current.session)).toBe(true);
  });

  it('hangs up the shell when the connection goes away', async () => {
    current = await startSerialAgent('agent.debug_console');
    const conn = await connectPort(current.session, 1026, { timeoutMs: 5000 });
    conn.write('echo shell-pid=$$\n');
    const pid = Number((await waitFor(conn, /shell-pid=(\d+)\r\n/))[1]);
    expect(alive(pid)).toBe(true);
    conn.destroy();
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
  });

  it('refuses port 1026 without agent.debug_console on the kernel command line', async () => {
    current = await startSerialAgent('console=ttyS0 agent.debug_console_vport=1026 quiet');
    await expect(connectPort(current.session, 1026, { timeoutMs: 5000 })).rejects.toMatchObject({ code: 'PORT_REFUSED' });
    expect(await agentServes(current.session)).toBe(true);
  });
});
