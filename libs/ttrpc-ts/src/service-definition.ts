import type { BinaryWriter } from '@bufbuild/protobuf/wire';

/**
 * Structural types for ts-proto's generic service definitions
 * (`outputServices=generic-definitions`), so any generated definition fits without this package
 * depending on the generated code.
 */

// `any` in the defaults and `infer` positions lets every concrete definition fit (method params are
// bivariant); concrete types are recovered with RequestOf/ResponseOf.
/* eslint-disable @typescript-eslint/no-explicit-any */

/** A generated message type: `encode(msg, writer?).finish()` and `decode(bytes)`. */
export interface MessageCodec<T> {
  encode(message: T, writer?: BinaryWriter): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

export interface MethodDefinition<Req = any, Res = any, ReqStream extends boolean = boolean, ResStream extends boolean = boolean> {
  /** The bare rpc name sent on the wire, e.g. `Create`. */
  readonly name: string;
  readonly requestType: MessageCodec<Req>;
  readonly requestStream: ReqStream;
  readonly responseType: MessageCodec<Res>;
  readonly responseStream: ResStream;
}

export interface ServiceDefinition {
  /** The full proto service name sent on the wire, e.g. `containerd.task.v2.Task`. */
  readonly fullName: string;
  readonly methods: { readonly [key: string]: MethodDefinition };
}

export type RequestOf<M> = M extends MethodDefinition<infer Req, any, any, any> ? Req : never;
export type ResponseOf<M> = M extends MethodDefinition<any, infer Res, any, any> ? Res : never;

export type MethodKeys<D extends ServiceDefinition> = keyof D['methods'] & string;
