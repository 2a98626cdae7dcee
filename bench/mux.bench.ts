/**
 * @kata-ts/mux throughput over a unix socket: the raw socket vs one yamux stream vs 8 streams
 * sharing it, in the same run. Both ends live in this process (one event loop does the sending
 * and the receiving), so the figures are the mux's CPU cost as much as the socket's.
 * Run: npx tsx bench/mux.bench.ts [--json]   (MUX_BENCH_MIB=N changes the bytes per sample)
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable, Readable } from 'node:stream';
import { createLogger } from '@kata-ts/logging';
import { Session, type Stream } from '@kata-ts/mux';
import { printBenchResult, type BenchFigure } from './bench-result';

const MIB = 1024 * 1024;
const TOTAL = Number(process.env.MUX_BENCH_MIB ?? 256) * MIB;
const CHUNK = 64 * 1024;
const SAMPLES = 3;
const logger = createLogger({ name: 'mux-bench', level: 'silent' });
const chunk = Buffer.alloc(CHUNK, 0x5a);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Writes `bytes` in 64 KiB chunks, waiting for 'drain' whenever write() says so. */
async function pump(to: Writable, bytes: number): Promise<void> {
  for (let left = bytes; left > 0; left -= CHUNK) {
    if (!to.write(left >= CHUNK ? chunk : chunk.subarray(0, left))) await once(to, 'drain');
  }
}

function drain(from: Readable, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    from.on('data', (c: Buffer) => {
      got += c.length;
      if (got >= bytes) resolve();
    });
    from.on('error', reject);
  });
}

/** MiB/s for moving TOTAL bytes through `pairs` (writer, reader) at once. */
async function throughput(pairs: [Writable, Readable][]): Promise<number> {
  const each = TOTAL / pairs.length;
  const t0 = process.hrtime.bigint();
  await Promise.all(pairs.map(([w, r]) => Promise.all([pump(w, each), drain(r, each)])));
  return TOTAL / MIB / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function socketPair(path: string): Promise<{ client: net.Socket; server: net.Socket; close(): void }> {
  const listener = net.createServer().listen(path);
  await once(listener, 'listening');
  const accepted = once(listener, 'connection') as Promise<[net.Socket]>;
  const client = net.connect(path);
  await once(client, 'connect');
  const [server] = await accepted;
  return {
    client,
    server,
    close: () => {
      client.destroy();
      server.destroy();
      listener.close();
    },
  };
}

async function muxStreams(client: Session, server: Session, n: number): Promise<[Stream, Stream][]> {
  const accepted: Stream[] = [];
  const all = new Promise<void>((resolve) => {
    const onStream = (s: Stream) => {
      accepted.push(s);
      if (accepted.length === n) {
        server.off('stream', onStream);
        resolve();
      }
    };
    server.on('stream', onStream);
  });
  const opened = Array.from({ length: n }, () => client.open());
  await all;
  return opened.map((s, i) => [s, accepted[i] as Stream]);
}

const dir = mkdtempSync(join(tmpdir(), 'mux-bench-'));
const raw = await socketPair(join(dir, 'raw.sock'));
const muxed = await socketPair(join(dir, 'mux.sock'));
const client = new Session(muxed.client, { role: 'client', keepAliveIntervalMs: false, logger });
const server = new Session(muxed.server, { role: 'server', keepAliveIntervalMs: false, logger });
try {
  const samples = { raw: [] as number[], one: [] as number[], eight: [] as number[], rtt: [] as number[] };
  for (let i = 0; i < SAMPLES; i++) {
    samples.raw.push(await throughput([[raw.client, raw.server]]));
    const [one] = await muxStreams(client, server, 1);
    samples.one.push(await throughput([one as [Stream, Stream]]));
    samples.eight.push(await throughput(await muxStreams(client, server, 8)));
    const rtts: number[] = [];
    for (let p = 0; p < 200; p++) rtts.push((await client.ping()) * 1000);
    samples.rtt.push(median(rtts));
  }
  const rawFigure = { name: 'raw unix socket', value: median(samples.raw) };
  const figures: BenchFigure[] = [
    {
      id: 'mux-1-stream-throughput',
      label: 'throughput, 1 yamux stream',
      unit: 'MiB/s',
      subject: { name: '1 stream', value: median(samples.one) },
      reference: rawFigure,
      lowerIsBetter: false,
      samples: SAMPLES,
    },
    {
      id: 'mux-8-streams-throughput',
      label: 'throughput, 8 yamux streams at once',
      unit: 'MiB/s',
      subject: { name: '8 streams', value: median(samples.eight) },
      reference: rawFigure,
      lowerIsBetter: false,
      samples: SAMPLES,
    },
    {
      id: 'mux-ping-rtt',
      label: 'yamux ping round trip (median of 200)',
      unit: 'µs',
      subject: { name: 'ping', value: median(samples.rtt) },
      lowerIsBetter: true,
      samples: SAMPLES,
    },
  ];
  printBenchResult({
    bench: 'mux',
    figures,
    notes: [
      `unix socket, both ends in one Node ${process.version} process, ${TOTAL / MIB} MiB per sample in ${CHUNK / 1024} KiB writes; median of ${SAMPLES}`,
    ],
  });
} finally {
  client.destroy();
  server.destroy();
  raw.close();
  muxed.close();
  rmSync(dir, { recursive: true, force: true });
}
