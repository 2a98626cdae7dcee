import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { EchoDefinition, type Echo } from '../test/fixtures/echo-service';
import { startUnixServer, type RunningServer } from '../test/fixtures/unix-server';
import { appendBytesField, Client, Code, createClient, EncodedResponse, TtrpcError, type CallContext, type ServiceImplementation } from './index';

const running: RunningServer[] = [];
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function setup(impl: ServiceImplementation<EchoDefinition>, clientOptions: ConstructorParameters<typeof Client>[1] = {}) {
  const srv = await startUnixServer((s) => s.register(EchoDefinition, impl));
  running.push(srv);
  const client = await Client.connect(srv.path, clientOptions);
  clients.push(client);
  return { srv, client, echo: createClient(EchoDefinition, client) };
}

const msg = (text: string, n = 0): Echo => ({ text, n });

async function rejection(p: Promise<unknown>): Promise<TtrpcError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TtrpcError);
  return err as TtrpcError;
}

describe('unary calls', () => {
  it('round-trips a request and passes metadata both as client default and per call', async () => {
    let seen: CallContext | undefined;
    const { client, echo } = await setup(
      {
        unary: (req, ctx) => {
          seen = ctx;
          return { text: req.text.toUpperCase(), n: req.n + 1 };
        },
      },
      { metadata: { 'containerd-namespace-ttrpc': 'default', a: 'x' } },
    );
    expect(await echo.unary(msg('hello', 41))).toEqual({ text: 'HELLO', n: 42 });
    expect(seen?.service).toBe('test.echo.v1.Echo');
    expect(seen?.method).toBe('Unary');
    expect(seen?.metadata.get('containerd-namespace-ttrpc')).toEqual(['default']);
    expect(seen?.deadline).toBeUndefined();

    await client.call(EchoDefinition, 'unary', msg('x'), { metadata: { a: ['y', 'z'], b: 'w' }, timeoutMs: 60_000 });
    expect(seen?.metadata.get('a')).toEqual(['y', 'z']);
    expect(seen?.metadata.get('b')).toEqual(['w']);
    expect(seen?.metadata.get('containerd-namespace-ttrpc')).toEqual(['default']);
    expect(seen?.deadline).toBeGreaterThan(Date.now() + 50_000);
  });

  it('sends an answer its handler encoded itself, parts as they are', async () => {
    const text = 'x'.repeat(40_000);
    const { echo } = await setup({
      // Echo's `text` is field 1; a string is length-delimited like bytes.
      unary: () => new EncodedResponse<Echo>(appendBytesField([], 1, [Buffer.from(text.slice(0, 30_000)), Buffer.from(text.slice(30_000))])),
    });
    expect(await echo.unary(msg('ignored'))).toEqual({ text, n: 0 });
  });

  it('runs 100 calls concurrently and matches out-of-order replies to their callers', async () => {
    const completed: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const { echo } = await setup({
      slow: async (req) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep((100 - req.n) % 7 * 3);
        inFlight--;
        completed.push(req.n);
        return { text: `r${req.n}`, n: req.n * 2 };
      },
    });
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => echo.slow(msg('', i))));
    replies.forEach((r, i) => expect(r).toEqual({ text: `r${i}`, n: i * 2 }));
    expect(maxInFlight).toBe(100);
    expect(completed).not.toEqual([...completed].sort((a, b) => a - b));
  });

  it('fails with DEADLINE_EXCEEDED locally and aborts the handler via timeout_nano', async () => {
    let reason: unknown;
    const { echo } = await setup({
      slow: (_req, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            reason = ctx.signal.reason;
            reject(ctx.signal.reason);
          });
        }),
      unary: (req) => req,
    });
    const err = await rejection(echo.slow(msg('x'), { timeoutMs: 50 }));
    expect(err.code).toBe(Code.DEADLINE_EXCEEDED);
    await expect.poll(() => (reason as Error | undefined)?.name).toBe('TimeoutError');
    expect(await echo.unary(msg('after'))).toEqual(msg('after'));
  });

  it('cancels with a signal; the late reply is dropped and the connection keeps working', async () => {
    let release: () => void = () => {};
    const { echo, client } = await setup({
      slow: async (req) => {
        await new Promise<void>((r) => (release = r));
        return req;
      },
      unary: (req) => req,
    });
    const ac = new AbortController();
    const pending = echo.slow(msg('x'), { signal: ac.signal });
    await sleep(20);
    ac.abort(new Error('user gave up'));
    const err = await rejection(pending);
    expect(err.code).toBe(Code.CANCELLED);
    expect((err.cause as Error).message).toBe('user gave up');
    release();
    expect(await echo.unary(msg('next'))).toEqual(msg('next'));
    await expect(client.call(EchoDefinition, 'unary', msg('x'), { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: Code.CANCELLED });
  });

  it('maps handler errors to statuses with message and details', async () => {
    const details = [{ typeUrl: 'test.Detail', value: Uint8Array.of(1, 2, 3) }];
    const { echo, client } = await setup({
      unary: (req) => {
        if (req.text === 'typed') throw new TtrpcError(Code.NOT_FOUND, 'container x: not found', { details });
        if (req.text === 'enoent') throw Object.assign(new Error('open /nope: no such file'), { code: 'ENOENT' });
        throw new Error('plain failure');
      },
    });
    const typed = await rejection(echo.unary(msg('typed')));
    expect([typed.code, typed.message]).toEqual([Code.NOT_FOUND, 'container x: not found']);
    expect(typed.details.map((d) => [d.typeUrl, [...d.value]])).toEqual([['test.Detail', [1, 2, 3]]]);
    expect((await rejection(echo.unary(msg('enoent')))).code).toBe(Code.NOT_FOUND);
    const plain = await rejection(echo.unary(msg('other')));
    expect([plain.code, plain.message]).toEqual([Code.UNKNOWN, 'plain failure']);

    const missing = await rejection(echo.missing(msg('')));
    expect([missing.code, missing.message]).toEqual([Code.UNIMPLEMENTED, 'method Missing']);
    const unknown = await rejection(client.callRaw('no.such.Service', 'Do', new Uint8Array()));
    expect([unknown.code, unknown.message]).toEqual([Code.UNIMPLEMENTED, 'service no.such.Service']);
  });

  it('fails pending calls with UNAVAILABLE when the connection closes, and later calls too', async () => {
    let handlerSignal: AbortSignal | undefined;
    const { echo, srv, client } = await setup({
      slow: (_req, ctx) => {
        handlerSignal = ctx.signal;
        return new Promise(() => {});
      },
    });
    const pending = rejection(echo.slow(msg('x')));
    await expect.poll(() => handlerSignal).toBeDefined();
    await srv.server.close();
    expect((await pending).code).toBe(Code.UNAVAILABLE);
    expect(handlerSignal?.aborted).toBe(true);
    await client.closed;
    expect(client.isClosed).toBe(true);
    expect((await rejection(echo.slow(msg('y')))).code).toBe(Code.UNAVAILABLE);
  });
});

describe('graceful shutdown', () => {
  it('lets in-flight calls finish, refuses new ones, then closes', async () => {
    let release: () => void = () => {};
    const { echo, srv, client } = await setup({
      slow: async (req) => {
        await new Promise<void>((r) => (release = r));
        return req;
      },
      unary: (req) => req,
    });
    const inFlight = echo.slow(msg('finish me'));
    await sleep(20);
    const shutdown = srv.server.shutdown();
    const refused = await rejection(echo.unary(msg('too late')));
    expect(refused.code).toBe(Code.UNAVAILABLE);
    await expect(Client.connect(srv.path)).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    release();
    expect(await inFlight).toEqual(msg('finish me'));
    await shutdown;
    await client.closed;
  });
});
