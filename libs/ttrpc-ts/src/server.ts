import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@kata-ts/logging';
import { Code } from './code';
import { defaultLogger } from './default-logger';
import { DEFAULT_MAX_DATA_LENGTH } from './frame';
import type { Handler, RegisteredMethod } from './server-call';
import { ServerConnection } from './server-connection';
import type { ServiceDefinition } from './service-definition';
import type { ServiceImplementation } from './service-implementation';
import { TtrpcError } from './ttrpc-error';

export interface ServerOptions {
  /** Largest frame data accepted and sent; default 4 MiB (the protocol's limit). */
  maxMessageSize?: number;
  logger?: Logger;
}

/**
 * A ttrpc server: services registered from generated definitions, served on unix sockets
 * (`listen`) or on any connected duplex stream (`serve`: vsock, a mux stream).
 */
export class Server {
  readonly #registry = new Map<string, Map<string, RegisteredMethod>>();
  readonly #listeners = new Set<net.Server>();
  readonly #connections = new Set<ServerConnection>();
  readonly #maxMessageSize: number;
  readonly #log: Logger;
  #state: 'open' | 'shutting-down' | 'closed' = 'open';

  constructor(options: ServerOptions = {}) {
    this.#maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_DATA_LENGTH;
    this.#log = options.logger ?? defaultLogger();
  }

  /** Adds a service. Methods the implementation leaves out answer UNIMPLEMENTED "method <Name>". */
  register<D extends ServiceDefinition>(definition: D, implementation: ServiceImplementation<D>): this {
    if (this.#registry.has(definition.fullName)) {
      throw new TtrpcError(Code.ALREADY_EXISTS, `ttrpc: service ${definition.fullName} registered twice`);
    }
    const methods = new Map<string, RegisteredMethod>();
    for (const [key, method] of Object.entries(definition.methods)) {
      const handler = (implementation as Record<string, Handler | undefined>)[key];
      if (typeof handler === 'function') methods.set(method.name, { definition: method, handler: handler.bind(implementation) });
    }
    this.#registry.set(definition.fullName, methods);
    return this;
  }

  /** Listens on a unix socket path; resolves once it accepts connections. */
  async listen(path: string): Promise<void> {
    this.#assertOpen();
    const listener = net.createServer((socket) => void this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(path, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    listener.on('error', (err) => this.#log.error({ err, path }, 'ttrpc: listener error'));
    this.#listeners.add(listener);
  }

  /** Serves one connected stream; resolves when it closes. */
  serve(stream: Duplex): Promise<void> {
    if (this.#state !== 'open') {
      stream.destroy();
      return Promise.resolve();
    }
    const connection = new ServerConnection(stream, this.#registry, { maxMessageSize: this.#maxMessageSize, logger: this.#log });
    this.#connections.add(connection);
    return connection.closed.then(() => {
      this.#connections.delete(connection);
    });
  }

  /** Graceful: stop accepting, refuse new requests (UNAVAILABLE), close each connection once its calls have answered. */
  async shutdown(): Promise<void> {
    if (this.#state === 'open') this.#state = 'shutting-down';
    const listeners = this.#closeListeners();
    const connections = [...this.#connections].map((c) => {
      c.shutdown();
      return c.closed;
    });
    await Promise.all([listeners, ...connections]);
    this.#state = 'closed';
  }

  /** Immediate: close listeners and connections; in-flight handlers see their signal abort. */
  async close(): Promise<void> {
    this.#state = 'closed';
    const listeners = this.#closeListeners();
    const connections = [...this.#connections].map((c) => {
      c.destroy();
      return c.closed;
    });
    await Promise.all([listeners, ...connections]);
  }

  async #closeListeners(): Promise<void> {
    const all = [...this.#listeners].map((l) => new Promise<void>((resolve) => l.close(() => resolve())));
    this.#listeners.clear();
    await Promise.all(all);
  }

  #assertOpen(): void {
    if (this.#state !== 'open') throw new TtrpcError(Code.UNAVAILABLE, 'ttrpc: server is closed');
  }
}
