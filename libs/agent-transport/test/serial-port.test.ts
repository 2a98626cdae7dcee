// The guest's view of a virtio-serial port, with stand-ins for the character device: a pty pair
// made by socat (a real char device with the same read/write/poll behaviour) and a FIFO.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, constants, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findVirtioPort, openSerialPort, socketFromFd, VsockError } from '../src/index';

let dir: string;
let socat: ChildProcess | undefined;
const sockets: Socket[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'serial-'));
});
afterEach(() => {
  sockets.splice(0).forEach((s) => s.destroy());
  socat?.kill('SIGKILL');
  socat = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Two raw ptys joined by socat: what one side writes, the other reads. */
async function ptyPair(): Promise<[string, string]> {
  const a = join(dir, 'pty-a');
  const b = join(dir, 'pty-b');
  socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !(existsSync(a) && existsSync(b)); i++) await new Promise((r) => setTimeout(r, 10));
  if (!existsSync(a) || !existsSync(b)) throw new Error('socat did not create the pty pair');
  return [a, b];
}

function collect(socket: Socket, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= length) resolve(Buffer.concat(chunks));
    });
  });
}

describe('openSerialPort', () => {
  it('carries 1 MiB each way at once over a char device without blocking the loop', async () => {
    const [a, b] = await ptyPair();
    const guest = openSerialPort(a);
    const host = openSerialPort(b);
    sockets.push(guest, host);
    const up = randomBytes(1 << 20);
    const down = randomBytes(1 << 20);
    const atHost = collect(host, up.length);
    const atGuest = collect(guest, down.length);
    let timerRan = false;
    setTimeout(() => (timerRan = true), 1);
    guest.write(up);
    host.write(down);
    expect((await atHost).equals(up)).toBe(true);
    expect((await atGuest).equals(down)).toBe(true);
    expect(timerRan).toBe(true);
  });

  it('ends or errors the stream when the other side goes away', async () => {
    const [a] = await ptyPair();
    const guest = openSerialPort(a);
    sockets.push(guest);
    const gone = new Promise((resolve) => guest.once('close', resolve));
    guest.on('error', () => {});
    socat!.kill('SIGKILL');
    await gone;
  });

  it('names the device when it cannot be opened', () => {
    expect(() => openSerialPort(join(dir, 'vport9p9'))).toThrow(VsockError);
    expect(() => openSerialPort(join(dir, 'vport9p9'))).toThrow(/vport9p9/);
  });
});

describe('socketFromFd', () => {
  it('drives a FIFO fd through libuv', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const socket = socketFromFd(openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK));
    sockets.push(socket);
    const back = collect(socket, 5);
    socket.write('hello');
    expect((await back).toString()).toBe('hello');
  });
});

describe('findVirtioPort', () => {
  it('finds a port by its sysfs name, prefers the udev link, accepts a path', () => {
    const sysfs = join(dir, 'sys');
    const dev = join(dir, 'dev');
    for (const [port, name] of [['vport0p0', 'console'], ['vport0p1', 'agent.channel.0']] as const) {
      mkdirSync(join(sysfs, port), { recursive: true });
      writeFileSync(join(sysfs, port, 'name'), `${name}\n`);
    }
    mkdirSync(join(sysfs, 'vport1p0')); // a port without a name
    expect(findVirtioPort('agent.channel.0', { sysfs, dev })).toBe(join(dev, 'vport0p1'));
    mkdirSync(join(dev, 'virtio-ports'), { recursive: true });
    writeFileSync(join(dev, 'vport0p1'), '');
    symlinkSync('../vport0p1', join(dev, 'virtio-ports', 'agent.channel.0'));
    expect(findVirtioPort('agent.channel.0', { sysfs, dev })).toBe(join(dev, 'virtio-ports', 'agent.channel.0'));
    expect(findVirtioPort('/dev/vport0p1')).toBe('/dev/vport0p1');
    expect(() => findVirtioPort('missing', { sysfs, dev })).toThrow(/no virtio-serial port named "missing"/);
  });
});
