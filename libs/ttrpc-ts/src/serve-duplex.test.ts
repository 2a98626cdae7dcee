import { afterEach, describe, expect, it } from 'vitest';
import { duplexPair } from '../test/fixtures/duplex-pair';
import { EchoDefinition } from '../test/fixtures/echo-service';
import { Client, Code, createClient, Server } from './index';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('server.serve / new Client over any duplex stream', () => {
  it('serves unary and streaming calls over an in-memory duplex pair', async () => {
    const server = new Server().register(EchoDefinition, {
      unary: (req) => ({ text: `pong ${req.text}`, n: req.n }),
      async *serverStream(req) {
        for (let i = 0; i < req.n; i++) yield { text: 'x', n: i };
      },
    });
    const [serverEnd, clientEnd] = duplexPair();
    const served = server.serve(serverEnd);
    const client = new Client(clientEnd);
    cleanups.push(async () => {
      await client.close();
      await server.close();
    });
    const echo = createClient(EchoDefinition, client);
    expect(await echo.unary({ text: 'ping', n: 7 })).toEqual({ text: 'pong ping', n: 7 });
    const got: number[] = [];
    for await (const m of echo.serverStream({ text: '', n: 5 })) got.push(m.n);
    expect(got).toEqual([0, 1, 2, 3, 4]);

    // Closing the client's end ends the served connection and fails later calls.
    await client.close();
    await served;
    await expect(echo.unary({ text: '', n: 0 })).rejects.toMatchObject({ code: Code.UNAVAILABLE });
  });

  it('Client.connect accepts unix:// addresses and reports a missing socket as UNAVAILABLE', async () => {
    await expect(Client.connect('unix:///nonexistent/ttrpc.sock')).rejects.toMatchObject({ code: Code.UNAVAILABLE });
  });
});
