import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { createLogger, type Logger } from '@kata-ts/logging';
import { MuxError, Session } from '@kata-ts/mux';
import { PortChannelError } from './errors';
import { connectPort } from './port-channel';

export interface ChannelClientOptions {
  /** A readiness ping goes out this often until the guest answers one. Default 200 ms. */
  pingIntervalMs?: number;
  /** How long a readiness ping may stay unanswered; a late answer still counts. Default 10 000 ms. */
  pingTimeoutMs?: number;
  /** Quiet time after a session failed, while what the guest's dead session still sends is
   *  dropped, before a new session starts. Default 200 ms (the guest reopens its port after 100). */
  resyncDelayMs?: number;
  /** A stream not accepted after this long is checked with a ping (see #probeStream). Default 250 ms. */
  streamProbeMs?: number;
  logger?: Logger;
}

export interface ChannelClientEvents {
  /** The guest answered a ping on session number `generation` (1, 2, ...): streams may open. */
  ready: [generation: number];
  /** The session failed while the channel stays connected; a new one is being set up. */
  reset: [error: MuxError | undefined];
  /** The channel itself ended (QEMU closed the chardev: the VM is gone). */
  close: [];
}

export interface ChannelConnectOptions {
  /** For the guest to answer and accept the port, together. Default 10 000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The host end of a port-routed mux channel over one byte stream (QEMU's virtio-serial chardev).
 *
 * The guest's port reads end-of-file while no host is connected, so its side reopens the port
 * and starts a fresh mux session each time; what the host sends while the guest closes the port
 * is discarded by the guest kernel, and yamux cannot resynchronise after lost frames. So no
 * stream is opened until the guest has answered a mux Ping on the current session: the guest's
 * answer proves a live session is reading what follows. Lost pings cost nothing (the next one
 * goes out pingIntervalMs later). If the session fails while the channel stays up (the guest
 * restarted its side: GoAway, protocol error), a new Session starts on the same connection and
 * waits for a ping answer again; streams of the failed session are destroyed, so their clients
 * retry. Only the channel's own end is final.
 */
export class ChannelClient extends EventEmitter<ChannelClientEvents> {
  readonly #transport: Duplex;
  readonly #log: Logger;
  readonly #pingIntervalMs: number;
  readonly #pingTimeoutMs: number;
  readonly #resyncDelayMs: number;
  readonly #streamProbeMs: number;
  /** The current session's view of the transport; undefined while resynchronising. */
  #tap: Duplex | undefined;
  #session: Session | undefined;
  #ready = false;
  #generation = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #waiters = new Set<{ resolve: (session: Session) => void; reject: (error: Error) => void }>();

  constructor(transport: Duplex, options: ChannelClientOptions = {}) {
    super();
    this.#transport = transport;
    this.#log = options.logger ?? createLogger({ name: 'vsock' });
    this.#pingIntervalMs = options.pingIntervalMs ?? 200;
    this.#pingTimeoutMs = options.pingTimeoutMs ?? 10_000;
    this.#resyncDelayMs = options.resyncDelayMs ?? 200;
    this.#streamProbeMs = options.streamProbeMs ?? 250;
    transport.on('data', (chunk: Buffer) => this.#tap?.push(chunk));
    transport.on('end', () => this.close());
    transport.on('close', () => this.close());
    transport.on('error', (err) => {
      this.#log.warn({ err }, 'channel failed');
      this.close();
    });
    this.#startSession();
  }

  /** Whether the guest answered on the current session (streams may be opened now). */
  get ready(): boolean {
    return this.#ready;
  }

  /** How many sessions this channel has run (1 + resets). */
  get generation(): number {
    return this.#generation;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Waits until the guest's session answers, opens a port-routed stream and waits for the guest
   * to accept it. PortChannelError: NOT_READY (the guest did not answer in time), PORT_REFUSED
   * (nothing listens on the port, or the session failed meanwhile), STREAM_LOST (the guest
   * restarted its session before it saw the stream), CHANNEL_CLOSED.
   */
  async connect(port: number, options: ChannelConnectOptions = {}): Promise<Duplex> {
    const deadline = performance.now() + (options.timeoutMs ?? 10_000);
    const session = await this.#whenReady(port, options.timeoutMs ?? 10_000, options.signal);
    const timeoutMs = Math.max(1, Math.ceil(deadline - performance.now()));
    const lost = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, lost.signal]) : lost.signal;
    const probe = setTimeout(() => this.#probeStream(session, port, lost), this.#streamProbeMs);
    try {
      return await connectPort(session, port, { timeoutMs, signal });
    } finally {
      clearTimeout(probe);
      lost.abort(); // stops a probe in flight from acting
    }
  }

  /**
   * A guest session can answer a ping and still die right after: when a host reconnects, the
   * guest may see the new host's bytes before it learns the host is back, read end-of-file,
   * and close its port (what arrived meanwhile, our SYN, is discarded). A ping sent after the
   * stream and answered while the stream's acceptance is still missing tells us so: the guest
   * handles frames in order and acknowledges the port header before it reads a later ping.
   * The caller then fails at once (the dialer retries) instead of waiting for its timeout.
   */
  #probeStream(session: Session, port: number, lost: AbortController): void {
    if (lost.signal.aborted || session.destroyed) return;
    session.ping().then(
      // setImmediate: an acceptance that arrived in the same read is handled first.
      () => setImmediate(() => lost.abort(new PortChannelError('STREAM_LOST', port, `the guest's session restarted before it saw the stream to port ${port}`))),
      () => {},
    );
  }

  /** Ends the session and the channel; pending connects fail with CHANNEL_CLOSED. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ready = false;
    clearTimeout(this.#timer);
    this.#session?.destroy();
    this.#tap?.destroy();
    this.#tap = undefined;
    this.#transport.destroy();
    const error = new PortChannelError('CHANNEL_CLOSED', undefined, 'the channel closed');
    for (const waiter of this.#waiters) waiter.reject(error);
    this.#waiters.clear();
    process.nextTick(() => this.emit('close'));
  }

  #whenReady(port: number, timeoutMs: number, signal?: AbortSignal): Promise<Session> {
    if (this.#closed) return Promise.reject(new PortChannelError('CHANNEL_CLOSED', port, 'the channel closed'));
    if (this.#ready && this.#session) return Promise.resolve(this.#session);
    return new Promise<Session>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(waiter);
      };
      const waiter = {
        resolve: (session: Session) => (done(), resolve(session)),
        reject: (error: Error) => (done(), reject(error)),
      };
      const timer = setTimeout(
        () => waiter.reject(new PortChannelError('NOT_READY', port, `the guest did not answer on the channel within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onAbort = () => waiter.reject(signal?.reason as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
      if (signal?.aborted) onAbort();
    });
  }

  #startSession(): void {
    if (this.#closed) return;
    const generation = ++this.#generation;
    const tap = this.#makeTap();
    const session = new Session(tap, {
      role: 'client',
      // The host decides when the VM is gone (the chardev closes); a TCG-slow guest must not
      // lose its session to a keepalive. It never accepts streams, so the guest cannot park any.
      keepAliveIntervalMs: false,
      acceptBacklog: 0,
      pingTimeoutMs: this.#pingTimeoutMs,
      logger: this.#log,
    });
    this.#tap = tap;
    this.#session = session;
    let failure: MuxError | undefined;
    session.on('error', (err) => {
      failure = err;
      this.#log.warn({ err, generation }, 'channel session failed');
    });
    session.once('close', () => this.#onSessionClosed(session, failure));
    const startedAt = performance.now();
    let pings = 0;
    const probe = () => {
      if (this.#session !== session || session.destroyed || this.#ready) return;
      pings++;
      session.ping().then(
        () => {
          if (this.#session !== session || session.destroyed || this.#ready) return;
          clearTimeout(this.#timer);
          this.#ready = true;
          this.#log.info({ generation, pings, ms: Math.round(performance.now() - startedAt) }, 'guest answered: channel ready');
          for (const waiter of this.#waiters) waiter.resolve(session);
          this.emit('ready', generation);
        },
        () => {}, // Lost or late: the next probe asks again.
      );
      this.#timer = setTimeout(probe, this.#pingIntervalMs);
    };
    probe();
  }

  #onSessionClosed(session: Session, failure: MuxError | undefined): void {
    if (this.#session !== session || this.#closed) return;
    clearTimeout(this.#timer);
    this.#ready = false;
    this.#tap?.destroy();
    this.#tap = undefined;
    if (this.#transport.destroyed || this.#transport.readableEnded) return this.close();
    this.#log.info({ generation: this.#generation }, 'channel session ended while the channel is up: starting a new one');
    this.emit('reset', failure);
    this.#timer = setTimeout(() => this.#startSession(), this.#resyncDelayMs);
  }

  /**
   * One session's view of the channel: its frames go to the transport (whole: FrameWriter corks
   * header and payload into one writev), the transport's bytes come to it while it is current,
   * and ending it (the Session's teardown) leaves the channel open for the next one.
   */
  #makeTap(): Duplex {
    const transport = this.#transport;
    const forward = (chunks: Buffer[], callback: () => void) => {
      if (!transport.writable) return callback();
      let room = true;
      transport.cork();
      for (const chunk of chunks) room = transport.write(chunk);
      transport.uncork();
      if (room) callback();
      else transport.once('drain', callback);
    };
    const tap: Duplex = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, callback) => forward([chunk], callback),
      writev: (chunks, callback) => forward(chunks.map((c) => c.chunk as Buffer), callback),
      final: (callback) => callback(),
      destroy: (error, callback) => {
        if (this.#tap === tap) this.#tap = undefined;
        callback(error);
      },
    });
    return tap;
  }
}
