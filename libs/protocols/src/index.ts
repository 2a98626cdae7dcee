// One namespace per proto package (or file of a package), so equally named messages never clash.
export * as ttrpc from './gen/ttrpc/request';
export * as rpc from './rpc';
export * as google from './google';

// containerd
export * as task from './gen/containerd/task/v2/shim';
export * as events from './gen/containerd/events/task';
export * as eventsService from './gen/containerd/services/events/ttrpc/v1/events';
export * as types from './types';
export * as runtimeoptions from './gen/runtimeoptions/v1/api';
export * as runc from './gen/containerd/runc/options/oci';
export * as cgroupsV1 from './gen/io/containerd/cgroups/v1/metrics';
export * as cgroupsV2 from './gen/io/containerd/cgroups/v2/metrics';

// Kata agent API (package grpc, one namespace per file; Kata's package types as kataTypes)
export * as agent from './gen/kata/agent';
export * as health from './gen/kata/health';
export * as oci from './gen/kata/oci';
export * as csi from './gen/kata/csi';
export * as kataTypes from './gen/kata/types';

// Kubernetes CRI v1 (package runtime.v1): RuntimeService and ImageService, for the CRI client
export * as cri from './gen/k8s/cri/runtime/v1/api';

export { messageTypeRegistry } from './gen/typeRegistry';
export type { MessageType } from './gen/typeRegistry';
export { packAny, unpackAny, unpackAnyAs, anyTypeName } from './any';
export type { MessageCodec, UnpackedAny } from './any';
export {
  packJsonAny,
  packOciProcess,
  OCI_PROCESS_TYPE_URL,
  OCI_LINUX_RESOURCES_TYPE_URL,
} from './json-any';
export { ProtocolError } from './protocol-error';
export type { ProtocolErrorCode } from './protocol-error';
