export { startAgent, type RunningAgent } from './agent';
export type { AgentConfig } from './sandbox/agent-config';
export { GUEST_SHARED_DIR } from './sandbox/agent-config';
