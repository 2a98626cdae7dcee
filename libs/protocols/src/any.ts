import { Any } from './gen/google/protobuf/any';
import { messageTypeRegistry } from './gen/typeRegistry';
import { ProtocolError } from './protocol-error';

/** A generated message codec: ts-proto's MessageFns, reduced to what packing needs. */
export interface MessageCodec<T> {
  readonly $type: string;
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** The message name of a type URL: `type.googleapis.com/a.b.C` and `a.b.C` both give `a.b.C`. */
export function anyTypeName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

/**
 * Packs a message into an Any with the BARE full name as type_url (`containerd.events.TaskExit`),
 * which is what containerd's typeurl writes for protobuf messages.
 */
export function packAny<T>(type: MessageCodec<T>, message: T): Any {
  return { typeUrl: type.$type, value: Buffer.from(type.encode(message).finish()) };
}

/** Decodes an Any whose type is known to the caller; fails if the Any holds another type. */
export function unpackAnyAs<T>(type: MessageCodec<T>, any: Any): T {
  const name = anyTypeName(any.typeUrl);
  if (name !== type.$type) {
    throw new ProtocolError('ANY_TYPE_MISMATCH', `Any holds ${any.typeUrl}, expected ${type.$type}`);
  }
  return type.decode(any.value);
}

export interface UnpackedAny {
  /** Full message name without any URL prefix. */
  typeName: string;
  message: unknown;
}

/** Decodes an Any through the registry of every generated message (both URL forms accepted). */
export function unpackAny(any: Any): UnpackedAny {
  const typeName = anyTypeName(any.typeUrl);
  const type = messageTypeRegistry.get(typeName);
  if (!type) {
    throw new ProtocolError('ANY_UNKNOWN_TYPE', `no generated message for Any type ${any.typeUrl}`);
  }
  return { typeName, message: type.decode(any.value) };
}
