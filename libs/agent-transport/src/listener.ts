import { lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { parseAgentUri } from './agent-uri';
import { VsockError } from './errors';
import type { Listener, ListenOptions } from './listener-interface';
import { listenSerialPort } from './serial-channel';
import { listenVsock } from './vsock-server';

/**
 * The agent's one way to listen, whatever the transport: `vsock://-1:1024` (kernel vsock),
 * `serial://agent.channel.0:1024` (virtio-serial + mux + port routing), `unix:///path` (tests).
 */
export async function listen(uri: string, onConnection: (stream: Duplex) => void, options: ListenOptions = {}): Promise<Listener> {
  const target = parseAgentUri(uri);
  switch (target.scheme) {
    case 'vsock': {
      const server = listenVsock({ cid: target.cid, port: target.port, onError: options.onError }, onConnection);
      return { uri, close: () => server.close() };
    }
    case 'unix':
      return listenUnix(uri, target.path, onConnection, options);
    case 'serial':
      return listenSerialPort(uri, target.device, target.port, onConnection, options);
    case 'hvsock':
      throw new VsockError('BAD_URI', `${uri}: hvsock:// is a host-side dial address`);
  }
}

async function listenUnix(uri: string, path: string, onConnection: (stream: Duplex) => void, options: ListenOptions): Promise<Listener> {
  removeStaleSocket(path);
  const server: Server = createServer(onConnection);
  server.on('error', (error) => options.onError?.(error));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { uri, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A socket file left by a dead process would make listen() fail with EADDRINUSE. */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Nothing there.
  }
}
