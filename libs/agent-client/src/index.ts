export type { AgentClient } from './agent-client';
export { AgentConnectError } from './agent-connect-error';
export { connectAgent } from './connect-agent';
export { TtrpcAgentClient } from './ttrpc-agent-client';
