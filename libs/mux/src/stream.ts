import { Duplex } from 'node:stream';
import { Flag, FrameType, INITIAL_STREAM_WINDOW } from './frame-header';
import { MuxError } from './mux-error';

/** What a Stream needs from its session; narrow, so that stream.ts does not import session.ts. */
export interface StreamHost {
  readonly maxStreamWindow: number;
  /** False while the transport holds more than its high-water mark: data frames must wait. */
  readonly writable: boolean;
  /** Sends one frame; a no-op once the session is gone. */
  writeFrame(type: FrameType, flags: number, streamId: number, length: number, payload?: Buffer): void;
  /** Calls `resume` once the transport has drained; waiting streams take turns. */
  onceWritable(resume: () => void): void;
  /** The stream is over on the wire (FIN both ways, or RST): drop it from the stream table. */
  forget(stream: Stream): void;
}

/** The session's handle on a stream: what arrives from the wire for it. Not exported publicly. */
export interface StreamControl {
  readonly stream: Stream;
  /** Sends SYN (open) or ACK (accept), announcing a window above the initial one. */
  sendOpen(flag: typeof Flag.SYN | typeof Flag.ACK): void;
  onWindowUpdate(delta: number): void;
  /** A Data header announcing `length` payload bytes; throws MuxError if it breaks the protocol. */
  expectData(length: number): void;
  onData(chunk: Buffer): void;
  /** The Data frame whose pieces onData() received is complete. */
  onDataEnd(): void;
  onRemoteFin(): void;
  onReset(): void;
  /** Ends the stream for a reason outside the consumer's control (the session is gone). */
  abort(error: MuxError): void;
}

const kControl = Symbol('StreamControl');

/** Makes a stream and the session's handle on it. */
export function createStream(host: StreamHost, id: number): StreamControl {
  return Stream[kControl](host, id);
}

/**
 * Largest Data frame we send. Smaller than the window so that streams sharing a busy transport
 * interleave instead of one stream writing a whole window at a time.
 */
const MAX_FRAME_PAYLOAD = 64 * 1024;
/** Written chunks below this size are joined into one before framing (see _writev). */
const JOIN_BELOW = 16 * 1024;

/**
 * One yamux stream as a Node Duplex. Writes never exceed the peer's window: `_write` waits for
 * WindowUpdate frames, and for the transport to drain. Reads are pulled: window updates go out
 * only as the consumer takes data, so a slow reader stalls its own stream and nothing else.
 * Invariant: bufferedBytes + receive window <= maxStreamWindow, so a stream never holds more
 * unread bytes than its window. end() sends FIN (half-close); destroy() sends RST.
 */
export class Stream extends Duplex {
  readonly id: number;
  readonly #host: StreamHost;
  #sendWindow = INITIAL_STREAM_WINDOW;
  #recvWindow = INITIAL_STREAM_WINDOW;
  /** Pieces of the Data frame being received. */
  #framePieces: Buffer[] = [];
  #frameBytes = 0;
  readonly #queue: Buffer[] = [];
  #queuedBytes = 0;
  #pulling = false;
  #flushing = false;
  #localFin = false;
  #remoteFin = false;
  #eofPushed = false;
  #reset = false;
  #awaitingWindow: (() => void) | undefined;
  #closeReason: MuxError | undefined;

  /** Use Session.open() or the session's 'stream' event. */
  private constructor(host: StreamHost, id: number) {
    super({ allowHalfOpen: true });
    this.#host = host;
    this.id = id;
  }

  static [kControl](host: StreamHost, id: number): StreamControl {
    const s = new Stream(host, id);
    return {
      stream: s,
      sendOpen: (flag) => s.#sendOpen(flag),
      onWindowUpdate: (delta) => s.#onWindowUpdate(delta),
      expectData: (length) => s.#expectData(length),
      onData: (chunk) => s.#onData(chunk),
      onDataEnd: () => s.#onDataEnd(),
      onRemoteFin: () => s.#onRemoteFin(),
      onReset: () => s.#onReset(),
      abort: (error) => s.#abort(error),
    };
  }

  /** Why the peer or the session ended this stream (RST, session closed), if they did. */
  get closeReason(): MuxError | undefined {
    return this.#closeReason;
  }

  /** Bytes received from the peer that the consumer has not read yet (never above the window). */
  get bufferedBytes(): number {
    return this.#frameBytes + this.#queuedBytes + this.readableLength;
  }

  /** Sends SYN (open) or ACK (accept), announcing a window above the initial one. */
  #sendOpen(flag: typeof Flag.SYN | typeof Flag.ACK): void {
    const delta = this.#host.maxStreamWindow - this.bufferedBytes - this.#recvWindow;
    this.#recvWindow += delta;
    this.#host.writeFrame(FrameType.WindowUpdate, flag, this.id, delta);
  }

  /** The peer granted `delta` more bytes. */
  #onWindowUpdate(delta: number): void {
    this.#sendWindow += delta;
    const resume = this.#awaitingWindow;
    if (resume && this.#sendWindow > 0) {
      this.#awaitingWindow = undefined;
      resume();
    }
  }

  /** A Data header announcing `length` payload bytes; throws if it breaks the protocol. */
  #expectData(length: number): void {
    if (this.#remoteFin) {
      throw new MuxError('PROTOCOL', `stream ${this.id}: data after FIN`);
    }
    if (length > this.#recvWindow) {
      throw new MuxError(
        'PROTOCOL',
        `stream ${this.id}: ${length} bytes sent with only ${this.#recvWindow} bytes of window`,
      );
    }
  }

  /** A piece of payload announced by #expectData(); the consumer gets the frame whole. */
  #onData(chunk: Buffer): void {
    if (this.destroyed) return;
    // Counted per piece, not per header, so a window update sent mid-frame cannot grant
    // room for bytes that are still on their way.
    this.#recvWindow -= chunk.length;
    this.#framePieces.push(chunk);
    this.#frameBytes += chunk.length;
  }

  /**
   * One push per frame, not per transport read: a virtio-serial port reads 4 KiB at a time, and
   * passing each piece on through the consumer's stream cost a guest more than the bytes did.
   */
  #onDataEnd(): void {
    const pieces = this.#framePieces;
    if (this.destroyed || pieces.length === 0) return;
    this.#framePieces = [];
    this.#frameBytes = 0;
    const [first] = pieces as [Buffer];
    // A small piece of a large transport read would keep the whole read alive while queued:
    // copy it, so memory held is what the window counts.
    const owned = pieces.length > 1 ? Buffer.concat(pieces) : first.length * 4 < first.buffer.byteLength ? copyExact(first) : first;
    this.#queue.push(owned);
    this.#queuedBytes += owned.length;
    this.#flush();
  }

  /** The peer half-closed. */
  #onRemoteFin(): void {
    if (this.destroyed) return;
    if (this.#remoteFin) throw new MuxError('PROTOCOL', `stream ${this.id}: duplicate FIN`);
    this.#remoteFin = true;
    this.#flush();
    if (this.#localFin) this.#host.forget(this);
  }

  /** The peer reset (or refused) the stream. */
  #onReset(): void {
    this.#reset = true;
    this.#host.forget(this);
    this.#abort(new MuxError('STREAM_RESET', `stream ${this.id} reset by peer`));
  }

  /**
   * Destroys the stream for a reason outside the consumer's control (RST, session
   * end). The error is emitted only to 'error' listeners (pipeline, for-await and finished()
   * add one): an unobserved stream of a dying session must not crash the process.
   */
  #abort(error: MuxError): void {
    this.#closeReason = error;
    this.destroy(this.listenerCount('error') > 0 ? error : undefined);
  }

  override _read(): void {
    this.#pulling = true;
    this.#flush();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#send(chunk, 0, callback);
  }

  /**
   * Small chunks (a frame header, short replies) are joined so they leave in one Data frame; large
   * ones (a 1 MiB stdout answer) are sent as they are: copying them cost the agent more CPU than
   * anything else on the stdout path.
   */
  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    const batches: Buffer[] = [];
    let small: Buffer[] = [];
    for (const { chunk } of chunks) {
      if (chunk.length < JOIN_BELOW) {
        small.push(chunk);
        continue;
      }
      if (small.length > 0) batches.push(Buffer.concat(small));
      small = [];
      batches.push(chunk);
    }
    if (small.length > 0) batches.push(Buffer.concat(small));
    this.#sendEach(batches, 0, callback);
  }

  #sendEach(batches: Buffer[], index: number, callback: (error?: Error | null) => void): void {
    if (index === batches.length) return callback();
    this.#send(batches[index] as Buffer, 0, () => this.#sendEach(batches, index + 1, callback));
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.destroyed) {
      this.#localFin = true;
      this.#host.writeFrame(FrameType.WindowUpdate, Flag.FIN, this.id, 0);
      if (this.#remoteFin) this.#host.forget(this);
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#reset && !(this.#localFin && this.#remoteFin)) {
      this.#reset = true;
      this.#host.writeFrame(FrameType.WindowUpdate, Flag.RST, this.id, 0);
    }
    this.#host.forget(this);
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#awaitingWindow = undefined;
    callback(error);
  }

  /** Sends `chunk` from `offset` as Data frames within the send window, then calls `done`. */
  #send(chunk: Buffer, offset: number, done: (error?: Error | null) => void): void {
    while (offset < chunk.length) {
      // A destroyed stream never completes its write; Node does not wait for it.
      if (this.destroyed) return;
      if (this.#sendWindow === 0) {
        this.#awaitingWindow = () => this.#send(chunk, offset, done);
        return;
      }
      if (!this.#host.writable) {
        this.#host.onceWritable(() => this.#send(chunk, offset, done));
        return;
      }
      const n = Math.min(this.#sendWindow, chunk.length - offset, MAX_FRAME_PAYLOAD);
      this.#sendWindow -= n;
      this.#host.writeFrame(FrameType.Data, 0, this.id, n, chunk.subarray(offset, offset + n));
      offset += n;
    }
    done();
  }

  /** Hands queued data to the consumer as far as it pulls, then updates the peer's window. */
  #flush(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#pulling && this.#queue.length > 0) {
        const chunk = this.#queue.shift() as Buffer;
        this.#queuedBytes -= chunk.length;
        this.#pulling = this.push(chunk);
      }
    } finally {
      this.#flushing = false;
    }
    if (this.#queue.length === 0 && this.#remoteFin && !this.#eofPushed) {
      this.#eofPushed = true;
      this.push(null);
    }
    this.#updateWindow();
  }

  /** Like hashicorp/yamux: grant what was consumed, once that is at least half the window. */
  #updateWindow(): void {
    if (this.#remoteFin || this.#reset || this.destroyed) return;
    const max = this.#host.maxStreamWindow;
    const delta = max - this.bufferedBytes - this.#recvWindow;
    if (delta < max / 2) return;
    this.#recvWindow += delta;
    this.#host.writeFrame(FrameType.WindowUpdate, 0, this.id, delta);
  }
}

/** A copy in memory of its own (Buffer.from would share an 8 KiB pool slab). */
function copyExact(chunk: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(chunk.length);
  chunk.copy(copy);
  return copy;
}
