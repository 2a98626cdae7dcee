// listen(uri) as the agent uses it: unix:// and serial:// (virtio-serial + mux + port routing),
// the serial port played by a socat pty pair (a real character device).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { Session } from '@kata-ts/mux';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectPort, createDialer, listen, openSerialPort, type Listener } from '../src/index';

let dir: string;
const listeners: Listener[] = [];
const cleanups: (() => void)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'listen-'));
});
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  cleanups.splice(0).forEach((f) => f());
  rmSync(dir, { recursive: true, force: true });
});

function echo(tag: string) {
  return (stream: Duplex) => {
    stream.on('error', () => {});
    stream.write(tag);
    stream.pipe(stream);
  };
}

async function readN(stream: Duplex, length: number): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += (chunk as Buffer).toString();
    if (text.length >= length) break;
  }
  return text;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error('condition not reached');
}

/** A raw pty pair; returns the socat process (killed in afterEach). */
async function ptyPair(a: string, b: string): Promise<ChildProcess> {
  const socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  cleanups.push(() => socat.kill('SIGKILL'));
  await until(() => existsSync(a) && existsSync(b));
  return socat;
}

/** The host end: kata-proxy's part, a mux client over the other pty. */
function hostSession(path: string): Session {
  const transport = openSerialPort(path);
  transport.on('error', () => {});
  const session = new Session(transport, { role: 'client', keepAliveIntervalMs: false });
  session.on('error', () => {});
  cleanups.push(() => session.destroy());
  return session;
}

describe('listen', () => {
  it('unix://: accepts connections and replaces a stale socket file', async () => {
    const path = join(dir, 'agent.sock');
    listeners.push(await listen(`unix://${path}`, echo('u:')));
    await listeners.pop()!.close();
    listeners.push(await listen(`unix://${path}`, echo('u:'))); // the socket file is still there
    const stream = await createDialer(`unix://${path}`).dial({ timeoutMs: 2000 });
    cleanups.push(() => stream.destroy());
    expect(await readN(stream, 2)).toBe('u:');
  });

  it('serial://: two ports share one channel; the channel survives the host going away', async () => {
    const guestPty = join(dir, 'vport0p1');
    const hostPty = join(dir, 'host');
    const socat = await ptyPair(guestPty, hostPty);
    const errors: Error[] = [];
    const options = { reopenDelayMs: 20, onError: (e: Error) => errors.push(e) };
    listeners.push(await listen(`serial://${guestPty}:1024`, echo('agent:'), options));
    listeners.push(await listen(`serial://${guestPty}:1026`, echo('console:'), options));
    await expect(listen(`serial://${guestPty}:1024`, echo('twice'))).rejects.toMatchObject({ code: 'PORT_IN_USE' });

    const first = hostSession(hostPty);
    const [agent, consoleStream] = await Promise.all([connectPort(first, 1024), connectPort(first, 1026)]);
    expect(await readN(agent, 6)).toBe('agent:');
    expect(await readN(consoleStream, 8)).toBe('console:');
    await expect(connectPort(first, 9)).rejects.toMatchObject({ code: 'PORT_REFUSED' });
    expect(errors.map((e) => (e as { code?: string }).code)).toContain('PORT_REFUSED');
    agent.destroy();
    consoleStream.destroy();

    // The host side disappears (QEMU's chardev client left) and a new one comes.
    first.destroy();
    socat.kill('SIGTERM');
    await until(() => socat.exitCode !== null || socat.signalCode !== null);
    rmSync(guestPty, { force: true });
    rmSync(hostPty, { force: true });
    await ptyPair(guestPty, hostPty);
    const second = hostSession(hostPty);
    const again = await connectPort(second, 1024, { timeoutMs: 5000 });
    expect(await readN(again, 6)).toBe('agent:');
    again.destroy();
  });

  it('serial://: a missing port fails at listen time, by name or by path', async () => {
    await expect(listen('serial://no.such.channel:1024', echo('x'))).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    await expect(listen(`serial://${join(dir, 'vport7p7')}:1024`, echo('x'))).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
  });

  it('refuses host-side and unknown URIs', async () => {
    await expect(listen('hvsock:///x:1024', echo('x'))).rejects.toMatchObject({ code: 'BAD_URI' });
    await expect(listen('tcp://1:2', echo('x'))).rejects.toMatchObject({ code: 'BAD_URI' });
  });
});
