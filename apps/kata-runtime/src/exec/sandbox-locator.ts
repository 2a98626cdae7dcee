import type { AgentChannel } from '@kata-ts/agent-transport';

/** Where a running sandbox's agent is, as its shim recorded it. */
export interface SandboxLocation {
  /** The channel the shim reaches the agent on; the debug console is another port on it. */
  agentChannel: AgentChannel;
  /** The configuration file the shim loaded for this sandbox, when it recorded one. */
  configPath?: string;
}

export type SandboxLocator = (sandboxId: string) => Promise<SandboxLocation>;
