/**
 * kata-proxy (the built bundle, as a real process) between hybrid-vsock clients and a guest
 * stand-in (mux server + port routing on a unix socket in place of QEMU's chardev, in this
 * process): connect latency (CONNECT → OK, through the guest's port acknowledgement) and
 * one-connection throughput, each against a direct unix socket measured in the same run; and
 * the proxy's resident memory (Kata 1.x's Go proxy: ~4 MB per pod).
 * Run: npx nx run proxy:build && npx tsx bench/proxy.bench.ts [--json]   (PROXY_BENCH_MIB=N)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex, Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@kata-ts/logging';
import { Session } from '@kata-ts/mux';
import { connectHybridVsock, listenPorts } from '@kata-ts/agent-transport';
import { printBenchResult, type BenchFigure } from './bench-result';

const MIB = 1024 * 1024;
const TOTAL = Number(process.env.PROXY_BENCH_MIB ?? 64) * MIB;
const CHUNK = 64 * 1024;
const SAMPLES = 3;
const CONNECTS = 200;
const bundle = fileURLToPath(new URL('../apps/proxy/dist/kata-proxy.mjs', import.meta.url));
if (!existsSync(bundle)) throw new Error(`${bundle} missing: run npx nx run proxy:build`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const chunk = Buffer.alloc(CHUNK, 0x5a);
const logger = createLogger({ name: 'proxy-bench', level: 'silent' });

/** The guest side of every connection: 1024 swallows bytes and answers "done" at FIN; 1025 closes. */
function guestHandlers(stream: Duplex, port: number): void {
  stream.on('error', () => {});
  if (port === 1025) return void stream.end();
  stream.on('data', () => {});
  stream.on('end', () => stream.end('done'));
}

async function pumpAndWait(to: Duplex, bytes: number): Promise<void> {
  const answered = new Promise<void>((resolve) => {
    (to as Readable).once('data', () => resolve());
  });
  for (let left = bytes; left > 0; left -= CHUNK) {
    if (!(to as Writable).write(left >= CHUNK ? chunk : chunk.subarray(0, left))) await once(to, 'drain');
  }
  to.end();
  await answered;
}

const dir = mkdtempSync(join(tmpdir(), 'proxy-bench-'));
const chardev = join(dir, 'chardev.sock');
const hvsock = join(dir, 'kata.hvsock');
const direct = join(dir, 'direct.sock');
const sessions: Session[] = [];
const guest = net.createServer((socket) => {
  const session = new Session(socket, { role: 'server', keepAliveIntervalMs: false, logger });
  session.on('error', () => {});
  sessions.push(session);
  listenPorts(session, (port) => (stream) => guestHandlers(stream, port));
});
guest.listen(chardev);
const directServer = net.createServer((socket) => guestHandlers(socket, 1024)).listen(direct);
await Promise.all([once(guest, 'listening'), once(directServer, 'listening')]);
const proxy = spawn(process.execPath, [bundle, '--channel', chardev, '--listen', hvsock, '--ready-fd', '3', '--log', join(dir, 'proxy.log')], {
  stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
});
await once(proxy.stdio[3] as Readable, 'data');
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proxy.pid}/status`, 'utf8'))?.[1]) / 1024;
const idleRss = rssMiB();

async function connectDirect(): Promise<net.Socket> {
  const s = net.connect(direct);
  await once(s, 'connect');
  return s;
}

try {
  const samples = { viaConnect: [] as number[], directConnect: [] as number[], viaMiBs: [] as number[], directMiBs: [] as number[] };
  for (let i = 0; i < SAMPLES; i++) {
    const via: number[] = [];
    const straight: number[] = [];
    for (let c = 0; c < CONNECTS; c++) {
      let t0 = process.hrtime.bigint();
      const s = await connectHybridVsock({ path: hvsock, port: 1025 });
      via.push(Number(process.hrtime.bigint() - t0) / 1e3);
      s.destroy();
      t0 = process.hrtime.bigint();
      const d = await connectDirect();
      straight.push(Number(process.hrtime.bigint() - t0) / 1e3);
      d.destroy();
    }
    samples.viaConnect.push(median(via));
    samples.directConnect.push(median(straight));

    let t0 = process.hrtime.bigint();
    const s = await connectHybridVsock({ path: hvsock, port: 1024 });
    await pumpAndWait(s, TOTAL);
    samples.viaMiBs.push(TOTAL / MIB / (Number(process.hrtime.bigint() - t0) / 1e9));
    s.destroy();
    t0 = process.hrtime.bigint();
    const d = await connectDirect();
    await pumpAndWait(d, TOTAL);
    samples.directMiBs.push(TOTAL / MIB / (Number(process.hrtime.bigint() - t0) / 1e9));
    d.destroy();
  }
  const figures: BenchFigure[] = [
    {
      id: 'proxy-connect-latency',
      label: `hybrid-vsock connect through kata-proxy (median of ${CONNECTS})`,
      unit: 'µs',
      subject: { name: 'CONNECT → OK', value: median(samples.viaConnect) },
      reference: { name: 'unix connect', value: median(samples.directConnect) },
      lowerIsBetter: true,
      samples: SAMPLES,
    },
    {
      id: 'proxy-throughput',
      label: 'throughput, 1 connection through kata-proxy',
      unit: 'MiB/s',
      subject: { name: 'via proxy + mux', value: median(samples.viaMiBs) },
      reference: { name: 'unix socket', value: median(samples.directMiBs) },
      lowerIsBetter: false,
      samples: SAMPLES,
    },
  ];
  figures.push({
    id: 'proxy-rss',
    label: 'kata-proxy resident memory, idle / after the runs above',
    unit: 'MiB',
    subject: { name: 'after traffic', value: rssMiB() },
    reference: { name: 'idle', value: idleRss },
    lowerIsBetter: true,
  });
  printBenchResult({
    bench: 'proxy',
    figures,
    notes: [
      `kata-proxy bundle as its own process; guest stand-in (mux server + port routing) and client in this Node ${process.version} process; ${TOTAL / MIB} MiB per sample in ${CHUNK / 1024} KiB writes; median of ${SAMPLES}`,
    ],
  });
} finally {
  proxy.kill('SIGTERM');
  sessions.forEach((s) => s.destroy());
  guest.close();
  directServer.close();
  rmSync(dir, { recursive: true, force: true });
}
