import type { Duplex } from 'node:stream';
import type { Logger } from '@kata-ts/logging';
import { ByteBudget, STREAM_BUFFER_MESSAGES } from './byte-budget';
import { Code } from './code';
import type { Encoded } from './encode-message';
import { encodeRequest, type RequestEnvelope } from './envelope';
import { MessageType, type FrameHeader } from './frame';
import { FrameDecoder } from './frame-decoder';
import { FrameWriter } from './frame-writer';
import { TtrpcError } from './ttrpc-error';

/** Receives the frames of one client stream id. */
export interface StreamSink {
  onFrame(type: number, flags: number, data: Uint8Array): void;
  /** The stream ended without an answer: connection closed, oversized reply, write failure. */
  onError(err: TtrpcError): void;
}

const MAX_STREAM_ID = 0xffffffff;

/**
 * The client side of one connection: odd stream ids from 1 in steps of 2, one sink per open
 * stream, frames for unknown ids dropped (a caller that gave up). Closing fails every open
 * stream with UNAVAILABLE.
 */
export class ClientConnection {
  readonly closed: Promise<void>;
  readonly #stream: Duplex;
  readonly #log: Logger;
  readonly #decoder: FrameDecoder;
  readonly #writer: FrameWriter;
  readonly #sinks = new Map<number, StreamSink>();
  /** Response-stream messages that wait for callers who have not read them, across this connection's calls. */
  readonly responseBudget: ByteBudget;
  #nextId = 1;
  #closedError: TtrpcError | undefined;

  constructor(stream: Duplex, options: { maxMessageSize: number; logger: Logger }) {
    this.#stream = stream;
    this.#log = options.logger;
    this.#decoder = new FrameDecoder({ maxDataLength: options.maxMessageSize });
    this.responseBudget = new ByteBudget(STREAM_BUFFER_MESSAGES * options.maxMessageSize);
    this.#writer = new FrameWriter(stream, {
      maxDataLength: options.maxMessageSize,
      onOverflow: (queuedBytes) => this.#log.warn({ queuedBytes }, 'ttrpc: the server does not read our requests: closing the connection'),
    });
    this.closed = new Promise((resolve) => stream.once('close', resolve));
    stream.once('close', () => this.#onClose());
    stream.on('error', (err) => this.#log.debug({ err }, 'ttrpc: client connection error'));
    stream.on('end', () => stream.destroy());
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
  }

  /** Set once the connection is unusable; calls fail with it. */
  get closedError(): TtrpcError | undefined {
    return this.#closedError;
  }

  get openStreams(): number {
    return this.#sinks.size;
  }

  /** Allocates a stream id, registers the sink and sends the Request frame. */
  open(request: Omit<RequestEnvelope, 'payload'>, payload: Encoded, flags: number, sink: StreamSink): number {
    if (this.#closedError) throw this.#closedError;
    if (this.#nextId > MAX_STREAM_ID) throw new TtrpcError(Code.UNAVAILABLE, 'ttrpc: stream ids exhausted on this connection');
    const id = this.#nextId;
    this.#nextId += 2;
    const frame = encodeRequest(request, payload);
    this.#sinks.set(id, sink);
    this.#writer.write(id, MessageType.Request, flags, frame).catch((err: unknown) => this.#failStream(id, err));
    return id;
  }

  /** Sends a Data frame on an open stream; rejects if the stream or connection is gone. */
  async send(id: number, flags: number, data: Encoded): Promise<void> {
    if (this.#closedError) throw this.#closedError;
    try {
      await this.#writer.write(id, MessageType.Data, flags, data);
    } catch (err) {
      this.#failStream(id, err);
      throw err;
    }
  }

  /** Forgets a stream: later frames for it are dropped. */
  release(id: number): void {
    this.#sinks.delete(id);
  }

  close(): void {
    this.#stream.destroy();
  }

  #onData(chunk: Buffer): void {
    try {
      for (const event of this.#decoder.push(chunk)) {
        if (event.kind === 'frame') this.#deliver(event.header, event.data);
        else this.#failStream(event.header.streamId, oversized(event.header.length, this.#decoder.maxDataLength));
      }
    } catch (err) {
      this.#log.error({ err }, 'ttrpc: closing client connection after an internal error');
      this.#stream.destroy();
    }
  }

  #deliver(header: FrameHeader, data: Uint8Array): void {
    const sink = this.#sinks.get(header.streamId);
    if (sink) sink.onFrame(header.type, header.flags, data);
    else this.#log.debug({ id: header.streamId, type: header.type }, 'ttrpc: frame for an inactive stream');
  }

  #failStream(id: number, err: unknown): void {
    const sink = this.#sinks.get(id);
    if (!sink) return;
    this.#sinks.delete(id);
    sink.onError(err instanceof TtrpcError ? err : new TtrpcError(Code.UNAVAILABLE, String((err as Error)?.message ?? err), { cause: err }));
  }

  #onClose(): void {
    this.#closedError = new TtrpcError(Code.UNAVAILABLE, 'ttrpc: connection closed');
    this.#writer.fail(this.#closedError);
    const sinks = [...this.#sinks.values()];
    this.#sinks.clear();
    for (const sink of sinks) sink.onError(this.#closedError);
  }
}

function oversized(length: number, max: number): TtrpcError {
  return new TtrpcError(Code.RESOURCE_EXHAUSTED, `message length ${length} exceed maximum message size of ${max}`);
}
