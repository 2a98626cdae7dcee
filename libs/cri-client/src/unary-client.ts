import { Metadata, status, type Client } from '@grpc/grpc-js';
import { CriError } from './cri-error';
import type { DeepPartial, RequestOf, ResponseOf, ServiceDefinition } from './service-definition';

export interface CallOptions {
  /** Deadline for this call (default: the client's `timeoutMs`). */
  timeoutMs?: number;
  /** Cancels the call; it then rejects with CANCELLED. */
  signal?: AbortSignal;
}

export type UnaryMethod<M> = (request?: DeepPartial<RequestOf<M>>, options?: CallOptions) => Promise<ResponseOf<M>>;

/** One promise-returning method per unary rpc, keyed like the definition (`runPodSandbox`). */
export type UnaryClient<D extends ServiceDefinition> = {
  readonly [K in keyof D['methods']]: UnaryMethod<D['methods'][K]>;
};

/**
 * Builds a typed client for a ts-proto service definition over one grpc-js Client: each method
 * calls `/<fullName>/<Name>` with the generated codecs, and fails with a CriError.
 */
export function createUnaryClient<D extends ServiceDefinition>(definition: D, client: Client, defaultTimeoutMs: number): UnaryClient<D> {
  const methods: Record<string, (request?: object, options?: CallOptions) => Promise<unknown>> = {};
  for (const [key, method] of Object.entries(definition.methods)) {
    if (method.requestStream || method.responseStream) continue;
    const path = `/${definition.fullName}/${method.name}`;
    const serialize = (value: unknown) => Buffer.from(method.requestType.encode(value).finish());
    const deserialize = (bytes: Buffer) => method.responseType.decode(bytes);
    methods[key] = (request = {}, options = {}) =>
      new Promise((resolve, reject) => {
        if (options.signal?.aborted) {
          reject(new CriError(method.name, status.CANCELLED, 'aborted before the call'));
          return;
        }
        const deadline = Date.now() + (options.timeoutMs ?? defaultTimeoutMs);
        const call = client.makeUnaryRequest(
          path,
          serialize,
          deserialize,
          method.requestType.fromPartial(request),
          new Metadata(),
          { deadline },
          (err, value) => {
            options.signal?.removeEventListener('abort', onAbort);
            if (err) reject(CriError.from(method.name, err));
            else resolve(value);
          },
        );
        const onAbort = () => call.cancel();
        options.signal?.addEventListener('abort', onAbort, { once: true });
      });
  }
  return methods as UnaryClient<D>;
}
