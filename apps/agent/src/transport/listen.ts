import type { Logger } from '@kata-ts/logging';
import type { Server } from '@kata-ts/ttrpc';
import { listen, type Listener } from '@kata-ts/agent-transport';
import type { DebugConsoleConfig } from '../console/debug-console-config';
import { serveDebugConsole } from '../console/debug-console';

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

/**
 * The debug console on the same channels as the agent (vsock and serial; a unix:// test socket
 * has no ports), on the console's port. A channel that fails is logged: the agent still serves.
 */
export async function listenConsole(agentListeners: Listener[], sysHelper: string, config: DebugConsoleConfig, log: Logger): Promise<Listener[]> {
  const consoleLog = log.child({ subsystem: 'debug-console' });
  const listeners: Listener[] = [];
  for (const { uri } of agentListeners) {
    const match = /^((?:vsock|serial):\/\/.+):\d+$/.exec(uri);
    if (!match) continue;
    const consoleUri = `${match[1]}:${config.port}`;
    try {
      listeners.push(await listen(consoleUri, (conn) => serveDebugConsole(conn, sysHelper, config.shell, consoleLog), { onError: (err) => consoleLog.warn({ err }, 'listener error') }));
      consoleLog.warn({ uri: consoleUri, shell: config.shell }, 'debug console listening (agent.debug_console is on the kernel command line)');
    } catch (err) {
      consoleLog.warn({ err, uri: consoleUri }, 'debug console unavailable on this channel');
    }
  }
  return listeners;
}
