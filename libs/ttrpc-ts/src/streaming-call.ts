import { AsyncQueue } from './async-queue';
import { CallGuard, timeoutNano, type GuardOptions } from './call-guard';
import type { ClientConnection, StreamSink } from './client-connection';
import { Code } from './code';
import { EMPTY_ENCODED, encodeMessage } from './encode-message';
import { decodeResponse } from './envelope';
import { Flag, MessageType } from './frame';
import type { KeyValueLike } from './metadata';
import type { MethodDefinition } from './service-definition';
import { fromStatus } from './status';
import { TtrpcError } from './ttrpc-error';

/**
 * A client call that streams in either direction (ttrpc ≥ 1.2). Responses arrive in
 * `responses`; a method with a single response yields exactly one. Giving up (deadline, signal,
 * consumer stopping early) is local only: ttrpc has no frame to cancel a stream.
 */
export class StreamingCall<Req, Res> implements StreamSink {
  readonly responses: AsyncQueue<Res>;
  readonly #conn: ClientConnection;
  readonly #method: MethodDefinition<Req, Res>;
  readonly #guard: CallGuard;
  readonly #id: number;

  constructor(
    conn: ClientConnection,
    service: string,
    method: MethodDefinition<Req, Res>,
    request: Req | undefined,
    metadata: KeyValueLike[],
    options: GuardOptions,
  ) {
    this.#conn = conn;
    this.#method = method;
    this.responses = new AsyncQueue({ onReturn: () => this.#release(), budget: conn.responseBudget });
    this.#guard = new CallGuard(options, (err) => this.#fail(err));
    const payload = request === undefined ? EMPTY_ENCODED : encodeMessage(method.requestType, request);
    const flags = method.requestStream ? Flag.RemoteOpen : Flag.RemoteClosed;
    try {
      this.#id = conn.open({ service, method: method.name, timeoutNano: timeoutNano(options.timeoutMs), metadata }, payload, flags, this);
    } catch (err) {
      this.#guard.dispose();
      throw err;
    }
  }

  /** The single response of a client-streaming method. */
  async result(): Promise<Res> {
    const first = await this.responses.next();
    if (first.done) throw new TtrpcError(Code.INTERNAL, 'ttrpc: stream ended without a response');
    return first.value;
  }

  /** Sends each request as a Data frame, then closes the sending side (Data RC|NODATA). */
  async sendAll(requests: AsyncIterable<Req> | Iterable<Req>): Promise<void> {
    try {
      for await (const request of requests) {
        if (this.responses.ended) return;
        await this.#conn.send(this.#id, 0, encodeMessage(this.#method.requestType, request));
      }
      if (!this.responses.ended) await this.#conn.send(this.#id, Flag.RemoteClosed | Flag.NoData, EMPTY_ENCODED);
    } catch (err) {
      this.#fail(err instanceof TtrpcError ? err : new TtrpcError(Code.CANCELLED, `ttrpc: request stream failed: ${(err as Error)?.message}`, { cause: err }));
    }
  }

  onFrame(type: number, flags: number, data: Uint8Array): void {
    try {
      if (type === MessageType.Response) {
        const response = decodeResponse(data);
        const err = fromStatus(response.status);
        if (err) return this.#fail(err);
        if (response.payload.length > 0 || !this.#method.responseStream) this.#deliver(response.payload);
        return this.#end();
      }
      if (type === MessageType.Data) {
        if (!this.#method.responseStream) return this.#fail(new TtrpcError(Code.INTERNAL, 'ttrpc: received data from non-streaming server'));
        if ((flags & Flag.NoData) === 0 && !this.#deliver(data)) return;
        if ((flags & Flag.RemoteClosed) !== 0) this.#end();
      }
    } catch (err) {
      this.#fail(new TtrpcError(Code.INTERNAL, `ttrpc: cannot decode response: ${(err as Error).message}`, { cause: err }));
    }
  }

  onError(err: TtrpcError): void {
    this.#fail(err);
  }

  /** Queues a response for the caller; a caller that lets them pile up past the connection's budget fails. */
  #deliver(data: Uint8Array): boolean {
    if (this.responses.push(this.#method.responseType.decode(data), data.length)) return true;
    this.#release();
    this.responses.discard(new TtrpcError(Code.RESOURCE_EXHAUSTED, 'ttrpc: the caller does not read the response stream: more is buffered than the connection allows'));
    return false;
  }

  #end(): void {
    this.#release();
    this.responses.end();
  }

  #fail(err: TtrpcError): void {
    this.#release();
    this.responses.fail(err);
  }

  #release(): void {
    this.#guard.dispose();
    this.#conn.release(this.#id);
  }
}
