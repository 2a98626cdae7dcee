/**
 * ttrpc-ts unary round trips over a unix socket vs the same request/response bytes over a raw
 * socket with a minimal length-prefixed echo (the floor any protocol pays on this machine).
 * Run: npx tsx bench/ttrpc.bench.ts [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ttrpc } from '@kata-ts/protocols';
import { Client, createClient, Server } from '@kata-ts/ttrpc';
import { createLogger } from '@kata-ts/logging';
import { printBenchResult, type BenchFigure } from './bench-result';

const EchoDefinition = {
  fullName: 'bench.v1.Echo',
  methods: {
    echo: { name: 'Echo', requestType: ttrpc.KeyValue, requestStream: false, responseType: ttrpc.KeyValue, responseStream: false },
  },
} as const;

const request: ttrpc.KeyValue = { key: 'containerd-namespace-ttrpc', value: 'x'.repeat(80) };
const payload = ttrpc.KeyValue.encode(request).finish();
const SAMPLES = 3;
const CALLS = { sequential: 5_000, concurrent: 20_000 };
const IN_FLIGHT = 32;

/** Runs `one` `total` times with `inFlight` calls outstanding; returns calls per second. */
async function rate(total: number, inFlight: number, one: () => Promise<unknown>): Promise<number> {
  let started = 0;
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    while (started < total) {
      started++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return total / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** The reference: a 4-byte length prefix, echoed back as is; replies come back in order. */
async function rawEcho(path: string): Promise<{ call: () => Promise<void>; close: () => void }> {
  const server = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let end = 0;
      while (buf.length - end >= 4 && buf.length - end >= 4 + buf.readUInt32BE(end)) end += 4 + buf.readUInt32BE(end);
      if (end > 0) {
        socket.write(buf.subarray(0, end));
        buf = buf.subarray(end);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const socket = net.connect(path);
  await new Promise((resolve) => socket.once('connect', resolve));
  const waiting: Array<() => void> = [];
  let buf = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
      const reply = buf.subarray(4, 4 + buf.readUInt32BE(0));
      ttrpc.KeyValue.decode(reply);
      buf = buf.subarray(4 + reply.length);
      waiting.shift()?.();
    }
  });
  const frame = Buffer.alloc(4 + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  return {
    call: () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve);
        // Encode per call, as the ttrpc side does.
        frame.set(ttrpc.KeyValue.encode(request).finish(), 4);
        socket.write(Buffer.from(frame));
      }),
    close: () => {
      socket.destroy();
      server.close();
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const dir = mkdtempSync(join(tmpdir(), 'ttrpc-bench-'));
const logger = createLogger({ name: 'ttrpc-bench', level: 'warn' });
const server = new Server({ logger }).register(EchoDefinition, { echo: (req) => req });
await server.listen(join(dir, 'ttrpc.sock'));
const client = await Client.connect(join(dir, 'ttrpc.sock'), { logger });
const echo = createClient(EchoDefinition, client);
const raw = await rawEcho(join(dir, 'raw.sock'));

try {
  await rate(2_000, IN_FLIGHT, () => echo.echo(request));
  await rate(2_000, IN_FLIGHT, raw.call);
  const figures: BenchFigure[] = [];
  for (const [id, label, calls, inFlight] of [
    ['ttrpc-unary-sequential', 'unary calls/s, sequential', CALLS.sequential, 1],
    ['ttrpc-unary-32-in-flight', `unary calls/s, ${IN_FLIGHT} in flight`, CALLS.concurrent, IN_FLIGHT],
  ] as const) {
    const ours: number[] = [];
    const reference: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      ours.push(await rate(calls, inFlight, () => echo.echo(request)));
      reference.push(await rate(calls, inFlight, raw.call));
    }
    figures.push({
      id,
      label,
      unit: 'calls/s',
      subject: { name: 'ttrpc-ts', value: median(ours) },
      reference: { name: 'raw length-prefixed echo', value: median(reference) },
      lowerIsBetter: false,
      samples: SAMPLES,
    });
  }
  printBenchResult({
    bench: 'ttrpc',
    figures,
    notes: [`unix socket, one connection, ${payload.length}-byte request and reply, Node ${process.version}; median of ${SAMPLES} runs`],
  });
} finally {
  raw.close();
  await client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
