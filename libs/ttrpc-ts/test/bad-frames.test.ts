import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, Code, createClient, encodeFrame, Flag, MessageType } from '../src/index';
import { Echo, EchoDefinition } from './fixtures/echo-service';
import { RawConnection } from './fixtures/raw-connection';
import { startUnixServer, type RunningServer } from './fixtures/unix-server';

const SERVICE = EchoDefinition.fullName;
let srv: RunningServer;
const raws: RawConnection[] = [];
let releaseSlow: () => void = () => {};

beforeAll(async () => {
  srv = await startUnixServer((s) =>
    s.register(EchoDefinition, {
      unary: (req) => ({ text: `echo:${req.text}`, n: req.n }),
      slow: async (req) => {
        await new Promise<void>((resolve) => (releaseSlow = resolve));
        return req;
      },
      async *bidi(requests) {
        for await (const r of requests) yield r;
      },
    }),
  );
});
afterEach(() => raws.splice(0).forEach((r) => r.destroy()));
afterAll(() => srv.stop());

async function raw(): Promise<RawConnection> {
  const r = await RawConnection.connect(srv.path);
  raws.push(r);
  return r;
}

const echoPayload = (text: string) => Echo.encode({ text, n: 1 }).finish();

/** A fresh well-behaved client still gets served: the server survived. */
async function serverStillServes(): Promise<void> {
  const client = await Client.connect(srv.path);
  try {
    expect(await createClient(EchoDefinition, client).unary({ text: 'alive', n: 0 })).toEqual({ text: 'echo:alive', n: 0 });
  } finally {
    await client.close();
  }
}

describe('bad frames against a real server socket', () => {
  it('answers a good raw request (sanity check of the raw helper)', async () => {
    const r = await raw();
    r.request(1, SERVICE, 'Unary', echoPayload('hi'));
    const reply = await r.nextStatus();
    expect([reply.id, reply.code]).toEqual([1, Code.OK]);
    expect(Echo.decode(reply.payload).text).toBe('echo:hi');
  });

  it('oversized frame: RESOURCE_EXHAUSTED on its stream id, and the connection still works', async () => {
    const r = await raw();
    r.write(encodeFrame(1, MessageType.Request, 0, Buffer.alloc((4 << 20) + 1, 0x41)));
    const status = await r.nextStatus();
    expect([status.id, status.code]).toEqual([1, Code.RESOURCE_EXHAUSTED]);
    r.request(3, SERVICE, 'Unary', echoPayload('after'));
    const next = await r.nextStatus();
    expect([next.id, next.code, Echo.decode(next.payload).text]).toEqual([3, Code.OK, 'echo:after']);
  });

  it('unknown service and unknown method: UNIMPLEMENTED with Go ttrpc messages', async () => {
    const r = await raw();
    r.request(1, 'no.Such', 'Thing');
    expect(await r.nextStatus()).toMatchObject({ id: 1, code: Code.UNIMPLEMENTED, message: 'service no.Such' });
    r.request(3, SERVICE, 'Nope');
    expect(await r.nextStatus()).toMatchObject({ id: 3, code: Code.UNIMPLEMENTED, message: 'method Nope' });
  });

  it('even stream id, reused id, undecodable request, stray data: INVALID_ARGUMENT each, connection kept', async () => {
    const r = await raw();
    r.request(2, SERVICE, 'Unary', echoPayload('even'));
    expect(await r.nextStatus()).toMatchObject({ id: 2, code: Code.INVALID_ARGUMENT });
    r.request(5, SERVICE, 'Unary', echoPayload('five'));
    expect(await r.nextStatus()).toMatchObject({ id: 5, code: Code.OK });
    r.request(3, SERVICE, 'Unary', echoPayload('lower id'));
    expect(await r.nextStatus()).toMatchObject({ id: 3, code: Code.INVALID_ARGUMENT });
    r.write(encodeFrame(7, MessageType.Request, 0, Uint8Array.of(0x0a, 0x50, 0x41)));
    expect(await r.nextStatus()).toMatchObject({ id: 7, code: Code.INVALID_ARGUMENT });
    r.write(encodeFrame(99, MessageType.Data, 0, echoPayload('stray')));
    expect(await r.nextStatus()).toMatchObject({ id: 99, code: Code.INVALID_ARGUMENT, message: 'StreamID is no longer active' });
    r.request(9, SERVICE, 'Unary', echoPayload('still'));
    expect(await r.nextStatus()).toMatchObject({ id: 9, code: Code.OK });
    r.request(9, SERVICE, 'Unary', echoPayload('same id again'));
    expect(await r.nextStatus()).toMatchObject({ id: 9, code: Code.INVALID_ARGUMENT, message: 'StreamID cannot be re-used and must increment' });
  });

  it('streaming frames on the raw wire: RO request, data, RC|NODATA close', async () => {
    const r = await raw();
    r.request(1, SERVICE, 'Bidi', new Uint8Array(), Flag.RemoteOpen);
    r.write(encodeFrame(1, MessageType.Data, 0, echoPayload('a')));
    const data = await r.nextFrame();
    expect([data.header.type, data.header.flags, Echo.decode(data.data).text]).toEqual([MessageType.Data, 0, 'a']);
    r.write(encodeFrame(1, MessageType.Data, Flag.RemoteClosed | Flag.NoData, new Uint8Array()));
    const end = await r.nextFrame();
    expect([end.header.type, end.header.flags, end.header.length]).toEqual([MessageType.Data, Flag.RemoteClosed | Flag.NoData, 0]);
    // Data with RC must not carry data (Go ttrpc): the stream is failed with INVALID_ARGUMENT.
    r.request(3, SERVICE, 'Bidi', new Uint8Array(), Flag.RemoteOpen);
    r.write(encodeFrame(3, MessageType.Data, Flag.RemoteClosed, echoPayload('b')));
    expect(await r.nextStatus()).toMatchObject({ id: 3, code: Code.INVALID_ARGUMENT });
  });

  it('data on a unary stream is refused without answering twice', async () => {
    const r = await raw();
    r.request(1, SERVICE, 'Slow', echoPayload('slow'));
    r.write(encodeFrame(1, MessageType.Data, 0, echoPayload('x')));
    expect(await r.nextStatus()).toMatchObject({ id: 1, code: Code.INVALID_ARGUMENT });
    releaseSlow();
    r.request(3, SERVICE, 'Unary', echoPayload('next'));
    expect(await r.nextStatus()).toMatchObject({ id: 3, code: Code.OK });
  });

  it('garbage bytes, a truncated frame, a reserved header byte: only that connection suffers', async () => {
    const garbage = await raw();
    garbage.write(randomBytes(64 * 1024));
    const truncated = await raw();
    truncated.write(encodeFrame(1, MessageType.Request, 0, Buffer.alloc(100)).subarray(0, 37));
    truncated.socket.end();
    const reserved = await raw();
    reserved.write(Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 1, 1, 0]));
    await reserved.closed;
    await truncated.closed;
    await serverStillServes();
  });

  it('random frames with valid headers never stop the server', async () => {
    for (let round = 0; round < 20; round++) {
      const r = await raw();
      for (let i = 0; i < 10; i++) {
        const body = randomBytes(Math.floor(Math.random() * 200));
        r.write(encodeFrame(Math.floor(Math.random() * 50), (1 + Math.floor(Math.random() * 4)) as MessageType, Math.floor(Math.random() * 8), body));
      }
      r.destroy();
    }
    await serverStillServes();
  });
});
