import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createLogger, type Logger } from '@kata-ts/logging';
import { Session } from '@kata-ts/mux';
import { VsockError } from './errors';
import type { Listener, ListenOptions } from './listener-interface';
import { listenPorts } from './port-channel';
import { findVirtioPort, openSerialPort } from './serial-port';

/**
 * The guest end of one virtio-serial port: a mux server session over it, with port routing to
 * the registered listeners. A virtio-serial port reads as end-of-file while no host process is
 * connected to QEMU's chardev (before kata-proxy attaches, or after it left), so the channel
 * reopens the port and starts a fresh session each time the previous one ends.
 */
export class SerialChannel {
  readonly device: string;
  readonly #ports = new Map<number, (stream: Duplex) => void>();
  readonly #options: ListenOptions;
  readonly #log: Logger;
  #transport: Socket | undefined;
  #session: Session | undefined;
  #reopen: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(device: string, options: ListenOptions = {}) {
    this.device = device;
    this.#options = options;
    this.#log = options.logger ?? createLogger({ name: 'vsock', bindings: { channel: device } });
    this.#start(true);
  }

  /** Routes streams for `port` to `handler`. */
  addPort(port: number, handler: (stream: Duplex) => void): void {
    if (this.#ports.has(port)) throw new VsockError('PORT_IN_USE', `serial://${this.device}:${port} already has a listener`);
    this.#ports.set(port, handler);
  }

  /** Stops routing `port`; returns how many ports are still routed. */
  removePort(port: number): number {
    this.#ports.delete(port);
    return this.#ports.size;
  }

  /** Ends the session and stops reopening the port. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#reopen);
    this.#session?.destroy();
    this.#transport?.destroy();
  }

  /** Opens the port and runs a session on it; the first time (listen()), failure throws. */
  #start(first = false): void {
    if (this.#closed) return;
    let transport: Socket;
    try {
      transport = openSerialPort(findVirtioPort(this.device));
    } catch (error) {
      if (first) throw error;
      this.#options.onError?.(error as Error);
      return this.#scheduleReopen();
    }
    // Kata's agent runs its yamux server without keepalive: the host decides when a VM is gone.
    const session = new Session(transport, { role: 'server', keepAliveIntervalMs: false, logger: this.#log });
    this.#transport = transport;
    this.#session = session;
    transport.on('error', (error) => this.#log.debug({ err: error }, 'serial port error'));
    session.on('error', (error) => this.#log.warn({ err: error }, 'mux session failed'));
    listenPorts(session, (port) => this.#ports.get(port), {
      onError: (error) => {
        this.#log.info({ err: error, port: error.port }, 'refused a stream');
        this.#options.onError?.(error);
      },
    });
    session.once('close', () => {
      transport.destroy();
      this.#scheduleReopen();
    });
  }

  #scheduleReopen(): void {
    if (this.#closed) return;
    this.#reopen = setTimeout(() => this.#start(), this.#options.reopenDelayMs ?? 100);
  }
}

/** One channel per device, shared by every port listening on it (1024 agent, 1026 console). */
const channels = new Map<string, SerialChannel>();

export function listenSerialPort(
  uri: string,
  device: string,
  port: number,
  onConnection: (stream: Duplex) => void,
  options: ListenOptions = {},
): Listener {
  let channel = channels.get(device);
  if (!channel) {
    channel = new SerialChannel(device, options);
    channels.set(device, channel);
  }
  channel.addPort(port, onConnection);
  const owner = channel;
  return {
    uri,
    close: async () => {
      if (owner.removePort(port) === 0 && channels.get(device) === owner) {
        channels.delete(device);
        owner.close();
      }
    },
  };
}
