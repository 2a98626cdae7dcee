/**
 * Structural types for ts-proto's generic service definitions (`outputServices=generic-definitions`),
 * enough to drive grpc-js unary calls from them.
 */

// `any` lets every concrete definition fit (method params are bivariant); concrete request and
// response types are recovered with RequestOf/ResponseOf.
/* eslint-disable @typescript-eslint/no-explicit-any */

/** A generated message type: encode/decode plus `fromPartial` (fills proto3 defaults). */
export interface MessageType<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
  fromPartial(object: any): T;
}

export interface MethodDefinition<Req = any, Res = any> {
  /** The bare rpc name, e.g. `RunPodSandbox`. */
  readonly name: string;
  readonly requestType: MessageType<Req>;
  readonly requestStream: boolean;
  readonly responseType: MessageType<Res>;
  readonly responseStream: boolean;
}

export interface ServiceDefinition {
  /** The full proto service name, e.g. `runtime.v1.RuntimeService`. */
  readonly fullName: string;
  readonly methods: { readonly [key: string]: MethodDefinition };
}

export type RequestOf<M> = M extends MethodDefinition<infer Req, any> ? Req : never;
export type ResponseOf<M> = M extends MethodDefinition<any, infer Res> ? Res : never;

/** Every field optional, recursively: the shape `fromPartial` accepts. */
export type DeepPartial<T> = T extends Buffer | Uint8Array
  ? T
  : T extends Array<infer U>
    ? Array<DeepPartial<U>>
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;
