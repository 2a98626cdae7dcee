export { startAgent, type RunningAgent } from './agent';
export type { AgentConfig } from './sandbox/agent-config';
export { GUEST_SHARED_DIR } from './sandbox/agent-config';
export { specToProto, processToProto, resourcesToProto } from './rpc/translate/oci-to-proto';
export type { OciSpec, OciProcess, OciLinuxResources } from './oci/spec';
