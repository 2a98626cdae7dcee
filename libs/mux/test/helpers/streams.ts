import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { createLogger } from '@kata-ts/logging';
import { duplexPair } from './duplex-pair';

export const silentLogger = createLogger({ name: 'mux-test', level: 'silent' });

/** Reads to the end without destroying the stream (a for-await loop would: RST on a Duplex). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Resolves with the error the stream is destroyed with. */
export async function errorOf(stream: Duplex): Promise<Error & { code?: string }> {
  const [error] = (await once(stream, 'error')) as [Error & { code?: string }];
  return error;
}

export interface Connection {
  client: Duplex;
  server: Duplex;
  close(): Promise<void>;
}

export type Connect = () => Promise<Connection>;

export const connectInMemory: Connect = async () => {
  const [client, server] = duplexPair();
  return {
    client,
    server,
    close: async () => {
      client.destroy();
      server.destroy();
    },
  };
};

/** A real unix socket pair in a temporary directory. */
export const connectUnixSocket: Connect = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mux-'));
  const path = join(dir, 'mux.sock');
  const listener = createServer();
  listener.listen(path);
  await once(listener, 'listening');
  const accepted = once(listener, 'connection') as Promise<[Socket]>;
  const client = connect(path);
  await once(client, 'connect');
  const [server] = await accepted;
  return {
    client,
    server,
    close: async () => {
      client.destroy();
      server.destroy();
      listener.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
