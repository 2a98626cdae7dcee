import type { Duplex } from 'node:stream';
import type { Logger } from '@kata-ts/logging';
import { ByteBudget, STREAM_BUFFER_MESSAGES } from './byte-budget';
import { Code } from './code';
import { EMPTY_ENCODED, EncodedResponse, encodeMessage, type Encoded } from './encode-message';
import { decodeRequest, encodeResponse, type RequestEnvelope } from './envelope';
import { Flag, MessageType, type FrameHeader } from './frame';
import { FrameDecoder } from './frame-decoder';
import { FrameWriter } from './frame-writer';
import { metadataFromKeyValues } from './metadata';
import { ServerCall, type RegisteredMethod } from './server-call';
import type { MessageCodec } from './service-definition';
import { toStatus, type StatusLike } from './status';
import { TtrpcError } from './ttrpc-error';

export type MethodRegistry = ReadonlyMap<string, ReadonlyMap<string, RegisteredMethod>>;

/** A length with the reserved first header byte set: the peer is not speaking ttrpc. */
const RESERVED_LENGTH = 1 << 24;
/** Calls a connection may have running at once; past it the server stops reading until one ends. */
export const MAX_ACTIVE_CALLS = 1024;
const OK_STATUS: StatusLike = { code: Code.OK, message: '', details: [] };

/**
 * The server side of one connection: decodes frames, runs handlers concurrently, answers each
 * stream id. Bad frames are answered on their stream id (as Go's ttrpc does) and the connection
 * goes on; only a frame that cannot be ttrpc (reserved byte set) or a socket error closes it.
 */
export class ServerConnection {
  readonly closed: Promise<void>;
  readonly #stream: Duplex;
  readonly #registry: MethodRegistry;
  readonly #log: Logger;
  readonly #inboxBudget: ByteBudget;
  readonly #decoder: FrameDecoder;
  readonly #writer: FrameWriter;
  readonly #calls = new Map<number, ServerCall>();
  #lastRequestId = 0;
  #draining = false;

  constructor(stream: Duplex, registry: MethodRegistry, options: { maxMessageSize: number; logger: Logger }) {
    this.#stream = stream;
    this.#registry = registry;
    this.#log = options.logger;
    this.#decoder = new FrameDecoder({ maxDataLength: options.maxMessageSize });
    this.#inboxBudget = new ByteBudget(STREAM_BUFFER_MESSAGES * options.maxMessageSize);
    this.#writer = new FrameWriter(stream, {
      maxDataLength: options.maxMessageSize,
      onOverflow: (queuedBytes) => this.#log.warn({ queuedBytes }, 'ttrpc: the client does not read its replies: closing the connection'),
    });
    this.closed = new Promise((resolve) => stream.once('close', resolve));
    stream.once('close', () => this.#onClose());
    stream.on('error', (err) => this.#log.debug({ err }, 'ttrpc: server connection error'));
    stream.on('end', () => stream.destroy());
    stream.on('data', (chunk: Buffer) => this.#onData(chunk));
  }

  get activeCalls(): number {
    return this.#calls.size;
  }

  /** Refuse new requests, close once the in-flight ones have answered. */
  shutdown(): void {
    this.#draining = true;
    this.#closeIfDrained();
  }

  destroy(): void {
    this.#stream.destroy();
  }

  #onData(chunk: Buffer): void {
    try {
      for (const event of this.#decoder.push(chunk)) {
        if (event.kind === 'frame') this.#onFrame(event.header, event.data);
        else this.#onOversized(event.header);
      }
    } catch (err) {
      this.#log.error({ err }, 'ttrpc: closing connection after an internal error');
      this.#stream.destroy();
    }
  }

  #onOversized(header: FrameHeader): void {
    if (header.length >= RESERVED_LENGTH) {
      this.#log.warn({ length: header.length }, 'ttrpc: reserved header byte set, closing connection');
      this.#stream.destroy();
      return;
    }
    const status = {
      code: Code.RESOURCE_EXHAUSTED,
      message: `message length ${header.length} exceed maximum message size of ${this.#decoder.maxDataLength}`,
      details: [],
    };
    const call = this.#calls.get(header.streamId);
    if (call) this.#fail(call, status);
    else this.#sendStatus(header.streamId, status);
  }

  #onFrame(header: FrameHeader, data: Uint8Array): void {
    const id = header.streamId;
    if (id % 2 !== 1) return this.#reject(id, 'StreamID must be odd for client initiated streams');
    if (header.type === MessageType.Request) return this.#onRequest(id, header.flags, data);
    if (header.type === MessageType.Data) return this.#onStreamData(id, header.flags, data);
    // Responses and unknown types are ignored, for compatibility with future protocol versions.
    this.#log.debug({ id, type: header.type }, 'ttrpc: ignoring frame');
  }

  #onRequest(id: number, flags: number, data: Uint8Array): void {
    if (id <= this.#lastRequestId) return this.#reject(id, 'StreamID cannot be re-used and must increment');
    this.#lastRequestId = id;
    let request: RequestEnvelope;
    try {
      request = decodeRequest(data);
    } catch (err) {
      return this.#reject(id, `unmarshal request error: ${(err as Error).message}`);
    }
    const method = this.#registry.get(request.service)?.get(request.method);
    if (!method) {
      const known = this.#registry.has(request.service);
      const message = known ? `method ${request.method}` : `service ${request.service}`;
      return this.#sendStatus(id, { code: Code.UNIMPLEMENTED, message, details: [] });
    }
    if (this.#draining) return this.#sendStatus(id, { code: Code.UNAVAILABLE, message: 'ttrpc: server shutting down', details: [] });

    const timeoutMs = request.timeoutNano / 1e6;
    const call = new ServerCall(id, method, request.service, metadataFromKeyValues(request.metadata), timeoutMs, this.#inboxBudget);
    const { definition } = method;
    let input: unknown;
    try {
      if (call.inbox) {
        // A client-streaming request may carry the first message; without RO the client sends no more.
        if (request.payload.length > 0 && !call.inbox.push(definition.requestType.decode(request.payload), request.payload.length)) {
          call.finish();
          return this.#sendStatus(id, this.#exhausted());
        }
        if ((flags & Flag.RemoteOpen) === 0) call.inbox.end();
        input = call.inbox;
      } else {
        input = definition.requestType.decode(request.payload);
      }
    } catch (err) {
      return this.#reject(id, `unmarshal payload error: ${(err as Error).message}`);
    }
    this.#calls.set(id, call);
    // Backpressure on a client that pipelines more calls than we run at once.
    if (this.#calls.size >= MAX_ACTIVE_CALLS) this.#stream.pause();
    void this.#run(call, input);
  }

  async #run(call: ServerCall, input: unknown): Promise<void> {
    const { definition, handler } = call.method;
    try {
      const result = handler(input, call.context);
      if (definition.responseStream) {
        for await (const message of result as AsyncIterable<unknown>) {
          if (call.finished) return;
          await this.#writer.write(call.id, MessageType.Data, 0, encodeOrThrow(definition.responseType, message));
        }
        if (call.finish()) await this.#send(call.id, MessageType.Data, Flag.RemoteClosed | Flag.NoData, EMPTY_ENCODED);
      } else {
        const response = await result;
        const payload = response instanceof EncodedResponse ? response.parts : encodeOrThrow(definition.responseType, response);
        // Not awaited: a reply the client does not read waits in the writer, which bounds it; the
        // call is over (awaiting would pile up calls for a client that never reads).
        if (call.finish()) void this.#send(call.id, MessageType.Response, 0, encodeResponse(OK_STATUS, payload));
      }
    } catch (err) {
      // The handler is over: answer with its status; nothing is left to abort (as after a success).
      if (call.finish()) this.#sendStatus(call.id, toStatus(err));
    } finally {
      call.settle();
      this.#calls.delete(call.id);
      this.#callEnded();
    }
  }

  #callEnded(): void {
    if (this.#stream.isPaused() && this.#calls.size < MAX_ACTIVE_CALLS) this.#stream.resume();
    this.#closeIfDrained();
  }

  #onStreamData(id: number, flags: number, data: Uint8Array): void {
    const call = this.#calls.get(id);
    if (!call) return this.#reject(id, 'StreamID is no longer active');
    const inbox = call.inbox;
    if (!inbox || inbox.ended) return this.#failInvalid(call, 'data on a stream the client has closed');
    const hasData = (flags & Flag.NoData) === 0;
    if ((flags & Flag.RemoteClosed) !== 0 && hasData && data.length > 0) {
      return this.#failInvalid(call, 'data close message cannot include data');
    }
    if (hasData) {
      let taken: boolean;
      try {
        taken = inbox.push(call.method.definition.requestType.decode(data), data.length);
      } catch (err) {
        return this.#failInvalid(call, `data handling error: ${(err as Error).message}`);
      }
      if (!taken) {
        this.#log.warn({ id, bufferedBytes: this.#inboxBudget.used }, 'ttrpc: a client streams faster than its handler reads: failing the call');
        return this.#fail(call, this.#exhausted());
      }
    }
    if ((flags & Flag.RemoteClosed) !== 0) inbox.end();
  }

  #exhausted(): StatusLike {
    return { code: Code.RESOURCE_EXHAUSTED, message: `ttrpc: more than ${this.#inboxBudget.limit} bytes of stream messages wait for handlers that do not read them`, details: [] };
  }

  #failInvalid(call: ServerCall, message: string): void {
    this.#fail(call, { code: Code.INVALID_ARGUMENT, message, details: [] });
  }

  /** Ends a call with an error status; its handler's eventual result is dropped. */
  #fail(call: ServerCall, status: StatusLike): void {
    call.abort(new TtrpcError(status.code, status.message));
    this.#sendStatus(call.id, status);
    this.#calls.delete(call.id);
    this.#callEnded();
  }

  #reject(id: number, message: string): void {
    this.#sendStatus(id, { code: Code.INVALID_ARGUMENT, message, details: [] });
  }

  #sendStatus(id: number, status: StatusLike): void {
    void this.#send(id, MessageType.Response, 0, encodeResponse(status));
  }

  /** Writes never throw into handlers' callers: a failed write means the connection is gone. */
  async #send(id: number, type: MessageType, flags: number, data: Encoded): Promise<void> {
    try {
      await this.#writer.write(id, type, flags, data);
    } catch (err) {
      this.#log.debug({ err, id }, 'ttrpc: could not send');
    }
  }

  #closeIfDrained(): void {
    if (this.#draining && this.#calls.size === 0 && !this.#stream.destroyed) this.#stream.end(() => this.#stream.destroy());
  }

  #onClose(): void {
    const reason = new TtrpcError(Code.CANCELLED, 'ttrpc: connection closed');
    this.#writer.fail(reason);
    for (const call of this.#calls.values()) call.abort(reason);
    this.#calls.clear();
  }
}

function encodeOrThrow(type: MessageCodec<unknown>, message: unknown): Encoded {
  try {
    return encodeMessage(type, message);
  } catch (err) {
    throw new TtrpcError(Code.INTERNAL, `ttrpc: error marshaling payload: ${(err as Error).message}`, { cause: err });
  }
}
