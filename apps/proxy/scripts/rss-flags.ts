/**
 * kata-proxy's memory and throughput under different Node flags: idle RSS once serving, then
 * 64 MiB echoed through one hvsock connection (an in-process fake guest on a unix socket), RSS
 * after. Prints a table; compare before changing how the shim spawns kata-proxy.
 *
 *   npx nx run proxy:build && npx tsx apps/proxy/scripts/rss-flags.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session } from '@kata-ts/mux';
import { createDialer, listenPorts } from '@kata-ts/agent-transport';

const bundle = join(import.meta.dirname, '../dist/kata-proxy.mjs');
const FLAG_SETS = [[], ['--max-semi-space-size=1'], ['--max-old-space-size=16', '--max-semi-space-size=1'], ['--jitless'], ['--lite-mode', '--max-semi-space-size=1']];
const PAYLOAD = Buffer.alloc(64 << 20, 7);

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

const rows: string[][] = [];
for (const flags of FLAG_SETS) {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-rss-'));
  const chardev = join(dir, 'chardev.sock');
  const server = createServer((socket) => {
    const session = new Session(socket, { role: 'server', keepAliveIntervalMs: false });
    session.on('error', () => {});
    listenPorts(session, { 1024: (s) => s.on('error', () => {}).pipe(s) });
  });
  await new Promise<void>((resolve) => server.listen(chardev, resolve));
  const child = spawn(process.execPath, [...flags, bundle, '--channel', chardev, '--listen', join(dir, 'hv.sock'), '--log', join(dir, 'log'), '--ready-fd', '3'], {
    stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
  });
  await new Promise((resolve) => (child.stdio[3] as Readable).once('data', resolve));
  await sleep(1000);
  const idle = rssMiB(child.pid!);
  const stream = await createDialer(`hvsock://${join(dir, 'hv.sock')}:1024`).dial();
  const t0 = performance.now();
  let received = 0;
  const done = new Promise<void>((resolve) => stream.on('data', (c: Buffer) => (received += c.length) >= PAYLOAD.length && resolve()));
  stream.write(PAYLOAD);
  await done;
  const seconds = (performance.now() - t0) / 1000;
  const loaded = rssMiB(child.pid!);
  stream.destroy();
  child.kill('SIGKILL');
  server.close();
  rmSync(dir, { recursive: true, force: true });
  rows.push([flags.join(' ') || '(none)', idle.toFixed(1), loaded.toFixed(1), ((2 * 64) / seconds).toFixed(0)]);
}
console.log('| node flags | idle RSS MiB | RSS after 64 MiB echo | MiB/s (both ways) |\n| --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
