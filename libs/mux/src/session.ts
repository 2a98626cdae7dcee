import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { Logger } from '@kata-ts/logging';
import { defaultLogger } from './default-logger';
import { FrameDecoder } from './frame-decoder';
import { describeHeader, Flag, FrameType, GoAwayCode, type FrameHeader } from './frame-header';
import { MuxError } from './mux-error';
import { FrameWriter } from './frame-writer';
import { PingTracker } from './ping-tracker';
import { resolveSessionOptions, type ResolvedSessionOptions, type SessionOptions } from './session-options';
import { createStream, type Stream, type StreamControl, type StreamHost } from './stream';

export interface SessionEvents {
  /** A stream the peer opened; it is ACKed when emitted. */
  stream: [stream: Stream];
  /** The peer sent GoAway(Normal): open() fails from now on; existing streams go on. */
  goaway: [code: number];
  /** The session failed (protocol error, peer's error GoAway, transport error, keepalive). */
  error: [error: MuxError];
  close: [];
  newListener: [event: string | symbol, listener: (...args: unknown[]) => void];
}

/** Largest stream id; hashicorp/yamux stops one below it. */
const MAX_STREAM_ID = 0xffffffff;
/** Bytes waiting in the transport above which we stop answering pings and fail the session. */
const MAX_QUEUED_REPLY_BYTES = 16 * 1024 * 1024;

/**
 * A yamux session over one reliable byte stream (a unix socket, a virtio-serial port), wire
 * compatible with hashicorp/yamux. The transport is always read: yamux has no session window, so
 * per-stream windows are what bound memory, and a peer that overruns one gets GoAway(protocol
 * error). Writes respect the transport's backpressure; waiting streams take turns.
 */
export class Session extends EventEmitter<SessionEvents> {
  readonly role: 'client' | 'server';
  readonly #writer: FrameWriter;
  readonly #options: ResolvedSessionOptions;
  readonly #log: Logger;
  readonly #decoder: FrameDecoder;
  readonly #host: StreamHost;
  readonly #streams = new Map<number, StreamControl>();
  readonly #pings = new PingTracker();
  #backlog: StreamControl[] = [];
  /** The stream receiving the payload of the Data frame being decoded. */
  #target: StreamControl | undefined;
  readonly #input: Buffer[] = [];
  #decoding = false;
  #nextId: number;
  #highestRemoteId = 0;
  #localGoAway = false;
  #remoteGoAway = false;
  #closing: Promise<void> | undefined;
  #destroyed = false;
  #keepAlive: NodeJS.Timeout | undefined;

  constructor(transport: Duplex, options: SessionOptions) {
    super();
    this.#options = resolveSessionOptions(options);
    this.role = this.#options.role;
    this.#log = (options.logger ?? defaultLogger()).child({ mux: this.role });
    this.#writer = new FrameWriter(transport);
    this.#nextId = this.role === 'client' ? 1 : 2;
    this.#host = this.#makeHost();
    this.#decoder = new FrameDecoder({
      header: (header) => this.#onHeader(header),
      data: (chunk) => this.#target?.onData(chunk),
      end: (header) => this.#onFrameEnd(header),
    });

    transport.on('data', (chunk: Buffer) => this.#onTransportData(chunk));
    transport.on('end', () => this.#teardown(undefined, 'transport ended'));
    transport.on('close', () => this.#teardown(undefined, 'transport closed'));
    transport.on('error', (err: Error) =>
      this.#teardown(new MuxError('TRANSPORT', `transport failed: ${err.message}`, { cause: err })),
    );
    this.on('newListener', (event) => {
      if (event === 'stream' && this.#backlog.length > 0) process.nextTick(() => this.#drainBacklog());
    });
    this.#startKeepAlive();
    if (transport.destroyed || transport.readableEnded) {
      process.nextTick(() => this.#teardown(undefined, 'transport already closed'));
    }
  }

  /** Streams open on the wire (including accepted-but-unread and backlog ones). */
  get streamCount(): number {
    return this.#streams.size;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * Opens a stream at once (SYN goes out now) and returns it: yamux allows data before the peer's
   * ACK, so it can be written immediately. If the peer refuses it, the stream errors with
   * STREAM_RESET. Throws MuxError when the session is closing or the peer sent GoAway.
   */
  open(): Stream {
    if (this.#destroyed || this.#closing) throw new MuxError('SESSION_CLOSED', 'session is closed');
    if (this.#remoteGoAway) throw new MuxError('REMOTE_GOAWAY', 'peer sent GoAway: no new streams');
    const id = this.#nextId;
    if (id >= MAX_STREAM_ID - 1) throw new MuxError('STREAMS_EXHAUSTED', 'no stream ids left');
    this.#nextId += 2;
    const control = createStream(this.#host, id);
    this.#streams.set(id, control);
    control.sendOpen(Flag.SYN);
    return control.stream;
  }

  /** Round-trip time in milliseconds; rejects with TIMEOUT after pingTimeoutMs. */
  ping(): Promise<number> {
    if (this.#destroyed) return Promise.reject(new MuxError('SESSION_CLOSED', 'session is closed'));
    const { value, rtt } = this.#pings.start(this.#options.pingTimeoutMs);
    this.#writer.write(FrameType.Ping, Flag.SYN, 0, value);
    return rtt;
  }

  /**
   * Tells the peer we accept no more streams (later SYNs get RST); existing streams go on.
   * A non-zero code (protocol or internal error) also ends the session.
   */
  goAway(code: GoAwayCode = GoAwayCode.Normal): void {
    if (this.#destroyed) return;
    if (!this.#localGoAway || code !== GoAwayCode.Normal) this.#writer.write(FrameType.GoAway, 0, 0, code);
    this.#localGoAway = true;
    if (code !== GoAwayCode.Normal) this.#teardown(undefined, `sent GoAway(${code})`);
  }

  /**
   * Graceful close: GoAway, refuse the backlog, half-close (FIN) every stream after its pending
   * writes, wait until the peer closes them too, then end the transport. Use destroy() to stop
   * waiting (a peer that never closes its side keeps this pending).
   */
  close(): Promise<void> {
    if (this.#destroyed) return Promise.resolve();
    if (!this.#closing) {
      this.#closing = new Promise((resolve) => this.once('close', resolve));
      this.goAway(GoAwayCode.Normal);
      for (const control of [...this.#backlog]) control.stream.destroy();
      for (const control of [...this.#streams.values()]) control.stream.end();
      this.#maybeFinishClose();
    }
    return this.#closing;
  }

  /** Ends the session now: every open stream is destroyed with SESSION_CLOSED. */
  destroy(error?: Error): void {
    const muxError =
      error === undefined || error instanceof MuxError
        ? error
        : new MuxError('INTERNAL', error.message, { cause: error });
    this.#teardown(muxError, 'destroyed');
  }

  #makeHost(): StreamHost {
    const writer = this.#writer;
    return {
      maxStreamWindow: this.#options.maxStreamWindow,
      get writable() {
        return writer.writable;
      },
      writeFrame: (type, flags, streamId, length, payload) => writer.write(type, flags, streamId, length, payload),
      onceWritable: (resume) => writer.onceWritable(resume),
      forget: (stream) => this.#forget(stream),
    };
  }

  #onTransportData(chunk: Buffer): void {
    if (this.#destroyed) return;
    // A synchronous transport (an in-process pair) can deliver the peer's answer while we are
    // still inside the frame that caused it: queue it, the decoder is not reentrant.
    this.#input.push(chunk);
    if (this.#decoding) return;
    this.#decoding = true;
    try {
      for (let next = this.#input.shift(); next && !this.#destroyed; next = this.#input.shift()) {
        this.#decoder.push(next);
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#decoding = false;
      this.#input.length = 0;
    }
  }

  #onHeader(header: FrameHeader): void {
    this.#target = undefined;
    if (header.type === FrameType.Ping) return this.#onPing(header);
    if (header.type === FrameType.GoAway) return this.#onGoAway(header.length);
    const control = header.flags & Flag.SYN ? this.#incoming(header.streamId) : this.#streams.get(header.streamId);
    if (!control) {
      if (!(header.flags & Flag.SYN)) this.#onUnknownStream(header);
      return;
    }
    if (header.flags & Flag.RST) return control.onReset();
    if (header.type === FrameType.WindowUpdate) {
      control.onWindowUpdate(header.length);
      if (header.flags & Flag.FIN) control.onRemoteFin();
      return;
    }
    if (header.length > 0) {
      control.expectData(header.length);
      this.#target = control;
    }
  }

  #onFrameEnd(header: FrameHeader): void {
    this.#target?.onDataEnd();
    this.#target = undefined;
    // FIN on a Data frame applies after its payload.
    if (header.type === FrameType.Data && header.flags & Flag.FIN && !(header.flags & Flag.RST)) {
      this.#streams.get(header.streamId)?.onRemoteFin();
    }
  }

  /** A SYN: registers the stream, or refuses it with RST (going away, backlog full). */
  #incoming(id: number): StreamControl | undefined {
    const remoteParity = this.role === 'client' ? 0 : 1;
    if (id === 0 || id % 2 !== remoteParity) {
      throw new MuxError('PROTOCOL', `peer opened stream ${id}, which is not one of its ids`);
    }
    if (this.#streams.has(id)) throw new MuxError('PROTOCOL', `peer opened stream ${id} twice`);
    this.#highestRemoteId = Math.max(this.#highestRemoteId, id);
    if (this.#localGoAway || this.#closing) {
      this.#reply(FrameType.WindowUpdate, Flag.RST, id, 0);
      return undefined;
    }
    if (this.#streams.size >= this.#options.maxStreams) {
      this.#log.warn({ stream: id, open: this.#streams.size }, 'yamux: peer opened more streams than maxStreams: refusing stream');
      this.#reply(FrameType.WindowUpdate, Flag.RST, id, 0);
      return undefined;
    }
    const control = createStream(this.#host, id);
    this.#streams.set(id, control);
    if (this.#backlog.length === 0 && this.listenerCount('stream') > 0) {
      this.#accept(control);
    } else if (this.#backlog.length < this.#options.acceptBacklog) {
      this.#backlog.push(control);
    } else {
      this.#log.warn({ stream: id }, 'yamux accept backlog full: refusing stream');
      this.#streams.delete(id);
      this.#reply(FrameType.WindowUpdate, Flag.RST, id, 0);
      return undefined;
    }
    return control;
  }

  #accept(control: StreamControl): void {
    control.sendOpen(Flag.ACK);
    this.emit('stream', control.stream);
  }

  #drainBacklog(): void {
    try {
      while (!this.#destroyed && this.#backlog.length > 0 && this.listenerCount('stream') > 0) {
        const control = this.#backlog.shift() as StreamControl;
        if (!control.stream.destroyed) this.#accept(control);
      }
    } catch (err) {
      this.#fail(err);
    }
  }

  /**
   * Frames for streams we do not have. Stale ones (a stream we closed or reset, whose peer had
   * frames in flight) are dropped, as hashicorp/yamux does; Data for an id that was never opened
   * gets RST so the peer's writer fails instead of hanging.
   */
  #onUnknownStream(header: FrameHeader): void {
    if (header.type !== FrameType.Data || header.flags & Flag.RST) return;
    const id = header.streamId;
    const ours = id % 2 === (this.role === 'client' ? 1 : 0);
    const stale = ours ? id < this.#nextId : id <= this.#highestRemoteId;
    if (stale) return;
    this.#log.debug({ frame: describeHeader(header) }, 'yamux frame for unknown stream: RST');
    this.#reply(FrameType.WindowUpdate, Flag.RST, id, 0);
  }

  #onPing(header: FrameHeader): void {
    if (!(header.flags & Flag.SYN)) {
      if (header.flags & Flag.ACK) this.#pings.settle(header.length);
      return;
    }
    this.#reply(FrameType.Ping, Flag.ACK, 0, header.length);
  }

  /**
   * Replies (ping ACKs, RSTs) are the one thing a peer can make us queue without limit: by
   * pinging or opening streams while never reading what we send. Data frames wait for the
   * transport; replies do not, so past a bound the session fails instead.
   */
  #reply(type: FrameType, flags: number, id: number, length: number): void {
    if (this.#writer.queuedBytes > MAX_QUEUED_REPLY_BYTES) {
      throw new MuxError('PROTOCOL', `peer does not read our replies (${this.#writer.queuedBytes} bytes queued)`);
    }
    this.#writer.write(type, flags, id, length);
  }

  #onGoAway(code: number): void {
    if (code === GoAwayCode.Normal) {
      this.#remoteGoAway = true;
      this.emit('goaway', code);
      return;
    }
    const reason =
      code === GoAwayCode.ProtocolError ? 'protocol error' : code === GoAwayCode.InternalError ? 'internal error' : `code ${code}`;
    this.#teardown(new MuxError('REMOTE_GOAWAY', `peer ended the session: ${reason}`));
  }

  #forget(stream: Stream): void {
    if (this.#streams.get(stream.id)?.stream === stream) this.#streams.delete(stream.id);
    if (this.#target?.stream === stream) this.#target = undefined;
    const queued = this.#backlog.findIndex((control) => control.stream === stream);
    if (queued >= 0) this.#backlog.splice(queued, 1);
    this.#maybeFinishClose();
  }

  #maybeFinishClose(): void {
    if (this.#closing && this.#streams.size === 0) this.#teardown(undefined, 'closed');
  }

  #startKeepAlive(): void {
    const interval = this.#options.keepAliveIntervalMs;
    if (interval === false) return;
    let pending = false;
    this.#keepAlive = setInterval(() => {
      if (pending || this.#destroyed) return;
      pending = true;
      this.ping().then(
        () => (pending = false),
        (err: MuxError) => {
          if (this.#destroyed) return;
          this.#teardown(new MuxError('TIMEOUT', `keepalive failed: ${err.message}`, { cause: err }));
        },
      );
    }, interval);
    this.#keepAlive.unref();
  }

  /** The peer broke the protocol, or our own code threw while handling its input. */
  #fail(err: unknown): void {
    if (this.#destroyed) return;
    const error =
      err instanceof MuxError
        ? err
        : new MuxError('INTERNAL', `mux: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    this.#log.warn({ err: error }, 'yamux session failed');
    const code = error.code === 'PROTOCOL' ? GoAwayCode.ProtocolError : GoAwayCode.InternalError;
    this.#writer.write(FrameType.GoAway, 0, 0, code);
    this.#teardown(error);
  }

  /** Ends everything once. `error` is emitted as the session's 'error'; streams get a closed error. */
  #teardown(error: MuxError | undefined, reason = 'failed'): void {
    if (this.#destroyed) return;
    // Frames written just before (GoAway) still leave: the writer ends, then destroys.
    this.#writer.close();
    this.#destroyed = true;
    this.#decoder.stop();
    clearInterval(this.#keepAlive);
    const message = error ? `session closed: ${error.message}` : `session closed: ${reason}`;
    const closed = new MuxError('SESSION_CLOSED', message, error ? { cause: error } : undefined);
    this.#pings.rejectAll(closed);
    this.#backlog = [];
    for (const control of [...this.#streams.values()]) control.abort(closed);
    this.#streams.clear();
    process.nextTick(() => {
      if (error) this.emit('error', error);
      this.emit('close');
    });
  }

}
