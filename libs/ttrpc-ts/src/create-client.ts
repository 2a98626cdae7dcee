import type { CallOptions, Client } from './client';
import type { RequestOf, ResponseOf, ServiceDefinition } from './service-definition';

type Requests<M> = AsyncIterable<RequestOf<M>> | Iterable<RequestOf<M>>;

/** A client method's shape follows the method's streaming flags, mirroring the server's handlers. */
export type ClientMethod<M> = M extends { requestStream: true; responseStream: true }
  ? (requests: Requests<M>, options?: CallOptions) => AsyncIterableIterator<ResponseOf<M>>
  : M extends { requestStream: true }
    ? (requests: Requests<M>, options?: CallOptions) => Promise<ResponseOf<M>>
    : M extends { responseStream: true }
      ? (request: RequestOf<M>, options?: CallOptions) => AsyncIterableIterator<ResponseOf<M>>
      : (request: RequestOf<M>, options?: CallOptions) => Promise<ResponseOf<M>>;

export type TypedClient<D extends ServiceDefinition> = {
  [K in keyof D['methods']]: ClientMethod<D['methods'][K]>;
};

/** A typed facade over `client` for one service: `await tasks.create(request, { timeoutMs })`. */
export function createClient<D extends ServiceDefinition>(definition: D, client: Client): TypedClient<D> {
  const facade: Record<string, unknown> = {};
  for (const [key, method] of Object.entries(definition.methods)) {
    // The runtime flags pick the call kind; the mapped type above gives each its signature.
    const c = client as unknown as Record<string, (d: D, k: string, input: unknown, o?: CallOptions) => unknown>;
    const kind = method.requestStream ? (method.responseStream ? 'bidiStream' : 'clientStream') : method.responseStream ? 'serverStream' : 'call';
    const invoke = c[kind] as (d: D, k: string, input: unknown, o?: CallOptions) => unknown;
    facade[key] = (input: unknown, options?: CallOptions) => invoke.call(client, definition, key, input, options);
  }
  return facade as TypedClient<D>;
}
