import type { EncodedResponse } from './encode-message';
import type { Metadata } from './metadata';
import type { RequestOf, ResponseOf, ServiceDefinition } from './service-definition';

/** What a handler knows about its call besides the request. */
export interface CallContext {
  /** Full service name and bare method name, as sent by the client. */
  readonly service: string;
  readonly method: string;
  readonly metadata: Metadata;
  /**
   * Aborted when the client's deadline passes (reason: a `TimeoutError`), the connection closes
   * or the server is destroyed (reason: an `AbortError`). ttrpc has no cancel frame, so a client
   * giving up early is only seen through its deadline or its connection.
   */
  readonly signal: AbortSignal;
  /** The client's deadline in epoch milliseconds (from timeout_nano), if it sent one. */
  readonly deadline: number | undefined;
}

type Awaitable<T> = T | Promise<T>;

/** A handler's shape follows the method's streaming flags (ts-proto `requestStream`/`responseStream`). */
export type MethodImplementation<M> = M extends { requestStream: true; responseStream: true }
  ? (requests: AsyncIterable<RequestOf<M>>, ctx: CallContext) => AsyncIterable<ResponseOf<M>>
  : M extends { requestStream: true }
    ? (requests: AsyncIterable<RequestOf<M>>, ctx: CallContext) => Awaitable<ResponseOf<M>>
    : M extends { responseStream: true }
      ? (request: RequestOf<M>, ctx: CallContext) => AsyncIterable<ResponseOf<M>>
      : (request: RequestOf<M>, ctx: CallContext) => Awaitable<ResponseOf<M> | EncodedResponse<ResponseOf<M>>>;

/**
 * Handlers keyed like the definition's `methods` (camelCase). Methods left out answer
 * UNIMPLEMENTED, as containerd expects from a shim for rpcs it does not support.
 */
export type ServiceImplementation<D extends ServiceDefinition> = {
  [K in keyof D['methods']]?: MethodImplementation<D['methods'][K]>;
};
