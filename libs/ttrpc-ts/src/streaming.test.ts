import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { EchoDefinition, type Echo } from '../test/fixtures/echo-service';
import { startUnixServer, type RunningServer } from '../test/fixtures/unix-server';
import { Client, Code, createClient, TtrpcError, type ServiceImplementation } from './index';

const running: RunningServer[] = [];
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function setup(impl: ServiceImplementation<EchoDefinition>) {
  const srv = await startUnixServer((s) => s.register(EchoDefinition, impl));
  running.push(srv);
  const client = await Client.connect(srv.path);
  clients.push(client);
  return { client, echo: createClient(EchoDefinition, client) };
}

const msg = (text: string, n = 0): Echo => ({ text, n });

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* countTo(n: number): AsyncGenerator<Echo> {
  for (let i = 1; i <= n; i++) {
    await sleep(1);
    yield msg(`m${i}`, i);
  }
}

describe('streaming', () => {
  it('server streaming: yields every message in order, including empty ones, then ends', async () => {
    const { echo } = await setup({
      async *serverStream(req) {
        for (let i = 0; i < req.n; i++) yield msg(i === 0 ? '' : `${req.text}${i}`, i);
      },
    });
    expect(await collect(echo.serverStream(msg('s', 4)))).toEqual([msg('', 0), msg('s1', 1), msg('s2', 2), msg('s3', 3)]);
    expect(await collect(echo.serverStream(msg('none', 0)))).toEqual([]);
  });

  it('server streaming: a handler error after some messages reaches the reader as its status', async () => {
    const { echo } = await setup({
      async *serverStream() {
        yield msg('first');
        throw new TtrpcError(Code.ABORTED, 'stopped');
      },
    });
    const got: Echo[] = [];
    const err = await (async () => {
      for await (const m of echo.serverStream(msg(''))) got.push(m);
    })().catch((e: unknown) => e);
    expect(got).toEqual([msg('first')]);
    expect(err).toMatchObject({ code: Code.ABORTED, message: 'stopped' });
  });

  it('client streaming: the handler reads every request and the client gets one response', async () => {
    const { echo, client } = await setup({
      async clientStream(requests) {
        let text = '';
        let n = 0;
        for await (const r of requests) {
          text += r.text;
          n += r.n;
        }
        return { text, n };
      },
    });
    expect(await echo.clientStream(countTo(5))).toEqual({ text: 'm1m2m3m4m5', n: 15 });
    expect(await client.clientStream(EchoDefinition, 'clientStream', [])).toEqual(msg('', 0));
  });

  it('bidi: responses interleave with requests and both sides close cleanly', async () => {
    const { echo } = await setup({
      async *bidi(requests) {
        for await (const r of requests) yield msg(r.text.toUpperCase(), r.n * 10);
        yield msg('done', -1 >>> 0);
      },
    });
    // The request stream only advances after the previous reply arrived: proves interleaving.
    const replies: Echo[] = [];
    let gotReply: () => void = () => {};
    async function* requests(): AsyncGenerator<Echo> {
      for (let i = 1; i <= 3; i++) {
        const replied = new Promise<void>((r) => (gotReply = r));
        yield msg(`q${i}`, i);
        await replied;
      }
    }
    for await (const r of echo.bidi(requests())) {
      replies.push(r);
      gotReply();
    }
    expect(replies).toEqual([msg('Q1', 10), msg('Q2', 20), msg('Q3', 30), msg('done', 0xffffffff)]);
  });

  it('a reader that stops early releases the stream; the connection stays usable', async () => {
    let aborted = false;
    const { echo } = await setup({
      async *serverStream(_req, ctx) {
        ctx.signal.addEventListener('abort', () => (aborted = true));
        for (let i = 0; ; i++) {
          yield msg('tick', i);
          await sleep(2);
          if (i > 1000) return;
        }
      },
      unary: (r) => r,
    });
    for await (const m of echo.serverStream(msg(''))) if (m.n === 3) break;
    expect(await echo.unary(msg('still here'))).toEqual(msg('still here'));
    expect(aborted).toBe(false);
  });

  it('a stream deadline fails the reader with DEADLINE_EXCEEDED and aborts the handler', async () => {
    let reason: unknown;
    const { echo } = await setup({
      async *serverStream(_req, ctx) {
        yield msg('one');
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        reason = ctx.signal.reason;
      },
    });
    const got: Echo[] = [];
    const err = await (async () => {
      for await (const m of echo.serverStream(msg(''), { timeoutMs: 80 })) got.push(m);
    })().catch((e: unknown) => e);
    expect(got).toEqual([msg('one')]);
    expect(err).toMatchObject({ code: Code.DEADLINE_EXCEEDED });
    await expect.poll(() => (reason as Error | undefined)?.name).toBe('TimeoutError');
  });

  it('client streaming: the server failing early stops the sender', async () => {
    let produced = 0;
    async function* endless(): AsyncGenerator<Echo> {
      for (;;) {
        produced++;
        await sleep(1);
        yield msg('x');
      }
    }
    const { echo } = await setup({
      async clientStream(requests) {
        for await (const _ of requests) throw new TtrpcError(Code.INVALID_ARGUMENT, 'no thanks');
        return msg('');
      },
    });
    await expect(echo.clientStream(endless())).rejects.toMatchObject({ code: Code.INVALID_ARGUMENT, message: 'no thanks' });
    const after = produced;
    await sleep(30);
    expect(produced - after).toBeLessThanOrEqual(1);
  });
});
