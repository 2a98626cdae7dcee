import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@kata-ts/logging';
import { CallGuard, timeoutNano, type GuardOptions } from './call-guard';
import { ClientConnection } from './client-connection';
import { Code } from './code';
import { defaultLogger } from './default-logger';
import { encodeMessage, type Encoded } from './encode-message';
import { decodeResponse } from './envelope';
import { DEFAULT_MAX_DATA_LENGTH, MessageType } from './frame';
import { mergeToKeyValues, toMetadata, type Metadata, type MetadataInit } from './metadata';
import type { MethodDefinition, RequestOf, ResponseOf, ServiceDefinition } from './service-definition';
import { fromStatus } from './status';
import { StreamingCall } from './streaming-call';
import { TtrpcError } from './ttrpc-error';

export interface ClientOptions {
  /** Sent with every call, e.g. `{ 'containerd-namespace-ttrpc': 'default' }`; per-call keys replace these. */
  metadata?: MetadataInit;
  /** Largest frame data accepted and sent; default 4 MiB (the protocol's limit). */
  maxMessageSize?: number;
  logger?: Logger;
}

export interface CallOptions extends GuardOptions {
  metadata?: MetadataInit;
}

type MethodsWhere<D extends ServiceDefinition, ReqS extends boolean, ResS extends boolean> = {
  [K in keyof D['methods']]: D['methods'][K] extends { requestStream: ReqS; responseStream: ResS } ? K : never;
}[keyof D['methods']] &
  string;

type Method<D extends ServiceDefinition, K extends keyof D['methods']> = D['methods'][K];

/**
 * A ttrpc client over one connected stream. Calls run concurrently on odd stream ids; each may
 * have a timeout (sent as timeout_nano, enforced locally as DEADLINE_EXCEEDED) and a signal.
 */
export class Client {
  readonly #conn: ClientConnection;
  readonly #metadata: Metadata;

  constructor(stream: Duplex, options: ClientOptions = {}) {
    this.#conn = new ClientConnection(stream, {
      maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_DATA_LENGTH,
      logger: options.logger ?? defaultLogger(),
    });
    this.#metadata = toMetadata(options.metadata);
  }

  /** Connects to a unix socket path (a leading `unix://` is accepted, as in TTRPC_ADDRESS). */
  static async connect(path: string, options: ClientOptions = {}): Promise<Client> {
    const socket = net.connect(path.replace(/^unix:\/\//, ''));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (err) => reject(new TtrpcError(Code.UNAVAILABLE, `ttrpc: cannot connect to ${path}: ${err.message}`, { cause: err })));
    });
    return new Client(socket, options);
  }

  /** Resolves when the connection has closed (either side). */
  get closed(): Promise<void> {
    return this.#conn.closed;
  }

  get isClosed(): boolean {
    return this.#conn.closedError !== undefined;
  }

  /** A unary call of a generated method. */
  async call<D extends ServiceDefinition, K extends MethodsWhere<D, false, false>>(
    definition: D,
    key: K,
    request: RequestOf<Method<D, K>>,
    options: CallOptions = {},
  ): Promise<ResponseOf<Method<D, K>>> {
    const method = methodOf(definition, key);
    const payload = await this.callRaw(definition.fullName, method.name, encodeMessage(method.requestType, request), options);
    return method.responseType.decode(payload);
  }

  /** A unary call with an encoded payload (one buffer or its parts); resolves with the encoded response. */
  callRaw(service: string, method: string, payload: Uint8Array | Encoded, options: CallOptions = {}): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let id = 0;
      const guard = new CallGuard(options, (err) => {
        this.#conn.release(id);
        reject(err);
      });
      const request = { service, method, timeoutNano: timeoutNano(options.timeoutMs), metadata: this.#keyValues(options) };
      try {
        id = this.#conn.open(request, payload instanceof Uint8Array ? [payload] : payload, 0, {
          onFrame: (type, _flags, data) => {
            guard.dispose();
            this.#conn.release(id);
            if (type !== MessageType.Response) return reject(new TtrpcError(Code.INTERNAL, `ttrpc: unexpected frame type ${type} for a unary call`));
            try {
              const response = decodeResponse(data);
              const err = fromStatus(response.status);
              if (err) reject(err);
              else resolve(response.payload);
            } catch (err) {
              reject(new TtrpcError(Code.INTERNAL, `ttrpc: cannot decode response: ${(err as Error).message}`, { cause: err }));
            }
          },
          onError: (err) => {
            guard.dispose();
            reject(err);
          },
        });
      } catch (err) {
        guard.dispose();
        reject(err);
      }
    });
  }

  /** Server streaming: one request, a stream of responses. */
  serverStream<D extends ServiceDefinition, K extends MethodsWhere<D, false, true>>(
    definition: D,
    key: K,
    request: RequestOf<Method<D, K>>,
    options: CallOptions = {},
  ): AsyncIterableIterator<ResponseOf<Method<D, K>>> {
    return this.#stream<RequestOf<Method<D, K>>, ResponseOf<Method<D, K>>>(definition, key, request, options).responses;
  }

  /** Client streaming: a stream of requests, one response. */
  async clientStream<D extends ServiceDefinition, K extends MethodsWhere<D, true, false>>(
    definition: D,
    key: K,
    requests: AsyncIterable<RequestOf<Method<D, K>>> | Iterable<RequestOf<Method<D, K>>>,
    options: CallOptions = {},
  ): Promise<ResponseOf<Method<D, K>>> {
    const call = this.#stream<RequestOf<Method<D, K>>, ResponseOf<Method<D, K>>>(definition, key, undefined, options);
    void call.sendAll(requests);
    return call.result();
  }

  /** Bidirectional streaming: requests are sent as they come while responses are read. */
  bidiStream<D extends ServiceDefinition, K extends MethodsWhere<D, true, true>>(
    definition: D,
    key: K,
    requests: AsyncIterable<RequestOf<Method<D, K>>> | Iterable<RequestOf<Method<D, K>>>,
    options: CallOptions = {},
  ): AsyncIterableIterator<ResponseOf<Method<D, K>>> {
    const call = this.#stream<RequestOf<Method<D, K>>, ResponseOf<Method<D, K>>>(definition, key, undefined, options);
    void call.sendAll(requests);
    return call.responses;
  }

  /** Closes the connection; pending calls fail with UNAVAILABLE. */
  async close(): Promise<void> {
    this.#conn.close();
    await this.#conn.closed;
  }

  #stream<Req, Res>(definition: ServiceDefinition, key: string, request: Req | undefined, options: CallOptions): StreamingCall<Req, Res> {
    const method = methodOf(definition, key) as MethodDefinition<Req, Res>;
    return new StreamingCall(this.#conn, definition.fullName, method, request, this.#keyValues(options), options);
  }

  #keyValues(options: CallOptions) {
    return mergeToKeyValues(this.#metadata, options.metadata === undefined ? undefined : toMetadata(options.metadata));
  }
}

function methodOf(definition: ServiceDefinition, key: string): MethodDefinition {
  const method = definition.methods[key];
  if (!method) throw new TtrpcError(Code.UNIMPLEMENTED, `ttrpc: ${definition.fullName} has no method ${key}`);
  return method;
}
