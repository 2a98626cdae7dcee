// One namespace per proto package, so equally named messages of different packages never clash.
export * as ttrpc from './gen/ttrpc/request';
export * as rpc from './rpc';
export * as google from './google';

export { messageTypeRegistry } from './gen/typeRegistry';
export type { MessageType } from './gen/typeRegistry';
export { packAny, unpackAny, unpackAnyAs, anyTypeName } from './any';
export type { MessageCodec, UnpackedAny } from './any';
export {
  packJsonAny,
  unpackJsonAny,
  packOciProcess,
  unpackOciProcess,
  OCI_PROCESS_TYPE_URL,
  OCI_LINUX_RESOURCES_TYPE_URL,
} from './json-any';
export { ProtocolError } from './protocol-error';
export type { ProtocolErrorCode } from './protocol-error';
