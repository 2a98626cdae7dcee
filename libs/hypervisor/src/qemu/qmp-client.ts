import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { HypervisorError } from '../hypervisor-error';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export interface QmpClientEvents {
  event: [QmpEvent];
  close: [];
}

/**
 * QMP over a unix socket: reads the greeting, negotiates capabilities, then runs commands
 * (matched to replies by id) and emits asynchronous events (SHUTDOWN, STOP, ...).
 */
export class QmpClient extends EventEmitter<QmpClientEvents> {
  #socket: Socket;
  #buffer = '';
  #nextId = 1;
  #pending = new Map<string, Pending>();
  #closed = false;
  #greeting: Promise<Record<string, unknown>>;

  private constructor(socket: Socket) {
    super();
    this.#socket = socket;
    let greeted: (g: Record<string, unknown>) => void = () => {};
    this.#greeting = new Promise((resolve, reject) => {
      greeted = resolve;
      // QEMU that dies while starting (a bad kernel, say) may close QMP before greeting.
      socket.once('close', () => reject(new HypervisorError('QMP_CLOSED', 'QEMU closed QMP before its greeting')));
    });
    this.#greeting.catch(() => {}); // connect() awaits it; a client never connected must not leak a rejection
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#onData(chunk, greeted));
    socket.on('error', () => {}); // 'close' follows and fails whatever is pending.
    socket.on('close', () => this.#onClose());
  }

  /** Connects, waits for the greeting and enters command mode (qmp_capabilities). */
  static async connect(path: string, options: { timeoutMs?: number } = {}): Promise<QmpClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', (cause) => reject(new HypervisorError('QMP_CLOSED', `QMP ${path}: ${cause.message}`, { cause })));
    });
    const client = new QmpClient(socket);
    const timeoutMs = options.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HypervisorError('TIMEOUT', `QMP ${path}: no greeting within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([client.#greeting, timeout]);
      await Promise.race([client.execute('qmp_capabilities'), timeout]);
    } catch (err) {
      client.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs a QMP command; resolves with its `return`, rejects with QMP_ERROR on an `error` reply. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.#closed) return Promise.reject(new HypervisorError('QMP_CLOSED', `QMP closed; cannot run ${command}`));
    const id = String(this.#nextId++);
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #onData(chunk: string, greeted: (g: Record<string, unknown>) => void): void {
    this.#buffer += chunk;
    for (let nl = this.#buffer.indexOf('\n'); nl >= 0; nl = this.#buffer.indexOf('\n')) {
      const line = this.#buffer.slice(0, nl).trim();
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line) this.#onMessage(JSON.parse(line) as Record<string, unknown>, greeted);
    }
  }

  #onMessage(message: Record<string, unknown>, greeted: (g: Record<string, unknown>) => void): void {
    if ('QMP' in message) return greeted(message);
    if ('event' in message) {
      this.emit('event', message as unknown as QmpEvent);
      return;
    }
    const id = typeof message.id === 'string' ? message.id : undefined;
    const pending = id === undefined ? undefined : this.#pending.get(id);
    if (!pending || id === undefined) return;
    this.#pending.delete(id);
    if ('error' in message) {
      const error = message.error as { class?: string; desc?: string };
      pending.reject(new HypervisorError('QMP_ERROR', `QMP: ${error.class ?? 'Error'}: ${error.desc ?? 'unknown error'}`));
    } else pending.resolve(message.return);
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pending.values()) pending.reject(new HypervisorError('QMP_CLOSED', 'QMP connection closed'));
    this.#pending.clear();
    this.emit('close');
  }
}
