export { startAgent, type RunningAgent } from './agent';
export type { AgentConfig } from './sandbox/agent-config';
