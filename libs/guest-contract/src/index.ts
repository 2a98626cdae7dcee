export { AGENT_CHANNEL_NAME, AGENT_PORT, DEBUG_CONSOLE_PORT } from './channels';
export { GUEST_SHARED_DIR, SHARED_DIR_TAG, sharedDirStorage } from './shared-dir';
export type { GuestStorage, SandboxRequest } from './sandbox-request';
export type { GuestAddress, GuestInterface, GuestNeighbor, GuestNetwork, GuestRoute } from './guest-network';
export { END_OF_STREAM_STATUS, isEndOfStream } from './status';
export { interfaceFromProto, interfaceToProto, neighborFromProto, neighborToProto, routeFromProto, routeToProto } from './guest-network-proto';
export { routeFromIpJson, type IpRouteJson } from './ip-route-json';
