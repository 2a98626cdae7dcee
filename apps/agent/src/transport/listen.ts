import type { Logger } from '@kata-ts/logging';
import type { Server } from '@kata-ts/ttrpc';
import { listen, type Listener } from '@kata-ts/vsock';

/**
 * Serves the ttrpc server on one agent URI: `unix:///path`, `vsock://-1:1024`, or
 * `serial://agent.channel.0:1024` (virtio-serial + mux, one ttrpc connection per stream).
 */
export async function listenOn(server: Server, uri: string, log: Logger): Promise<Listener> {
  const listener = await listen(uri, (stream) => void server.serve(stream), {
    onError: (err) => log.warn({ err, uri }, 'listener error'),
    logger: log.child({ subsystem: 'channel' }),
  });
  log.info({ uri }, 'listening');
  return listener;
}
