import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '@kata-ts/logging';
import { Echo, EchoDefinition } from '../test/fixtures/echo-service';
import { RawConnection } from '../test/fixtures/raw-connection';
import { startUnixServer, type RunningServer } from '../test/fixtures/unix-server';
import { Client, Code, createClient } from './index';
import { STREAM_BUFFER_MESSAGES } from './byte-budget';
import { DEFAULT_MAX_DATA_LENGTH } from './frame';
import { DEFAULT_MAX_QUEUED_BYTES } from './frame-writer';
import { MAX_ACTIVE_CALLS } from './server-connection';

/** A logger whose warnings the test reads. */
function recordingLogger() {
  const warn = vi.fn();
  const log = { warn, debug: vi.fn(), info: vi.fn(), error: vi.fn(), child: () => log } as unknown as Logger;
  return { log, warn };
}

let running: RunningServer | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await running?.stop();
  running = undefined;
});

describe('ttrpc-ts against a hostile peer: bounded memory, a clear log line', () => {
  it('closes a connection whose client pipelines requests and never reads the replies', async () => {
    const { log, warn } = recordingLogger();
    const big = 'r'.repeat(1 << 20);
    running = await startUnixServer((s) => s.register(EchoDefinition, { unary: () => ({ text: big, n: 0 }) }), { logger: log });
    const raw = await RawConnection.connect(running.path);
    raw.socket.pause(); // never reads a reply
    const payload = Echo.encode({ text: 'x', n: 0 }).finish();
    // 64 replies of 1 MiB: four times what the server may hold for a peer that does not read.
    for (let i = 0; i < 64; i++) raw.request(2 * i + 1, EchoDefinition.fullName, 'Unary', payload);
    await raw.closed;
    expect(warn).toHaveBeenCalledWith(
      { queuedBytes: expect.any(Number) },
      'ttrpc: the client does not read its replies: closing the connection',
    );
    const queued = warn.mock.calls[0]![0].queuedBytes as number;
    expect(queued).toBeGreaterThan(DEFAULT_MAX_QUEUED_BYTES);
    expect(queued).toBeLessThan(DEFAULT_MAX_QUEUED_BYTES + (2 << 20));
  });

  it('closes a connection whose client pipelines 200k tiny requests and never reads (replies do not hold their calls)', async () => {
    const { log, warn } = recordingLogger();
    running = await startUnixServer((s) => s.register(EchoDefinition, { unary: (req) => req }), { logger: log });
    const raw = await RawConnection.connect(running.path);
    raw.socket.pause();
    const payload = Echo.encode({ text: 'x', n: 1 }).finish();
    for (let i = 0; i < 200_000 && !raw.socket.destroyed; i++) raw.request(2 * i + 1, EchoDefinition.fullName, 'Unary', payload);
    await raw.closed;
    expect(warn).toHaveBeenCalledWith({ queuedBytes: expect.any(Number) }, 'ttrpc: the client does not read its replies: closing the connection');
  }, 60_000);

  it('stops reading from a client that pipelines more calls than it runs at once, and answers all of them later', async () => {
    let started = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    running = await startUnixServer((s) =>
      s.register(EchoDefinition, {
        slow: async (req) => {
          started++;
          await gate;
          return req;
        },
      }),
    );
    const client = await Client.connect(running.path);
    cleanups.push(() => void client.close());
    const echo = createClient(EchoDefinition, client);
    const total = MAX_ACTIVE_CALLS * 4;
    const calls = Array.from({ length: total }, (_, n) => echo.slow({ text: '', n }));
    for (let i = 0; i < 200 && started < MAX_ACTIVE_CALLS; i++) await sleep(50);
    await sleep(500); // time for more, had the server kept reading
    expect(started).toBeGreaterThanOrEqual(MAX_ACTIVE_CALLS);
    expect(started).toBeLessThan(total); // the rest wait in the socket, not in the server's heap
    release();
    const replies = await Promise.all(calls);
    expect(replies.map((r) => r.n)).toEqual(Array.from({ length: total }, (_, n) => n));
  }, 30_000);

  it('closes a client connection whose server never reads the requests, failing the calls', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttrpc-deaf-'));
    const path = join(dir, 'deaf.sock');
    const deaf = net.createServer((socket) => socket.pause());
    await new Promise<void>((r) => deaf.listen(path, r));
    cleanups.push(() => {
      deaf.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const { log, warn } = recordingLogger();
    const client = await Client.connect(path, { logger: log });
    const echo = createClient(EchoDefinition, client);
    const big = 'q'.repeat(1 << 20);
    const results = await Promise.allSettled(Array.from({ length: 64 }, () => echo.unary({ text: big, n: 0 })));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(results.map((r) => (r as PromiseRejectedResult).reason.code)).toContain(Code.RESOURCE_EXHAUSTED);
    expect(warn).toHaveBeenCalledWith({ queuedBytes: expect.any(Number) }, 'ttrpc: the server does not read our requests: closing the connection');
  }, 30_000);

  it("fails a call whose client streams faster than its handler reads (bounded per connection); the connection serves on", async () => {
    const { log, warn } = recordingLogger();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    running = await startUnixServer(
      (s) =>
        s.register(EchoDefinition, {
          unary: (req) => req,
          async clientStream(requests) {
            await gate; // reads nothing until released
            let n = 0;
            for await (const r of requests) n += r.n;
            return { text: '', n };
          },
        }),
      { logger: log },
    );
    const client = await Client.connect(running.path);
    cleanups.push(() => void client.close());
    const echo = createClient(EchoDefinition, client);
    const big = 's'.repeat(1 << 20);
    // 64 messages of 1 MiB: four times what the connection holds for handlers that do not read.
    const messages = async function* () {
      for (let i = 0; i < 64; i++) yield { text: big, n: 1 };
    };
    const call = echo.clientStream(messages());
    await expect(call).rejects.toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
    expect(warn).toHaveBeenCalledWith({ id: expect.any(Number), bufferedBytes: expect.any(Number) }, 'ttrpc: a client streams faster than its handler reads: failing the call');
    expect(warn.mock.calls[0]![0].bufferedBytes).toBeLessThanOrEqual(STREAM_BUFFER_MESSAGES * DEFAULT_MAX_DATA_LENGTH);
    release();
    // What the failed call buffered was freed: a reading handler gets all of a new stream.
    expect(await echo.clientStream(messages())).toEqual({ text: '', n: 64 });
    expect(await echo.unary({ text: 'still', n: 2 })).toEqual({ text: 'still', n: 2 });
  }, 30_000);

  it('fails a call whose caller does not read the server stream, bounding what the client buffers', async () => {
    const big = 'd'.repeat(1 << 20);
    running = await startUnixServer((s) =>
      s.register(EchoDefinition, {
        unary: (req) => req,
        async *serverStream() {
          for (let i = 0; i < 64; i++) yield { text: big, n: i };
        },
      }),
    );
    const client = await Client.connect(running.path);
    cleanups.push(() => void client.close());
    const echo = createClient(EchoDefinition, client);
    const stream = echo.serverStream({ text: '', n: 0 })[Symbol.asyncIterator]();
    await sleep(1500); // the server sends while nobody reads
    let read = 0;
    const failure = await (async () => {
      try {
        for (;;) if ((await stream.next()).done) return undefined;
        else read++;
      } catch (err) {
        return err;
      }
    })();
    expect(failure).toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
    expect(read).toBe(0); // dropped with the failure, not kept for a reader who may never come
    expect(await echo.unary({ text: 'ok', n: 1 })).toEqual({ text: 'ok', n: 1 });
  }, 30_000);
});
