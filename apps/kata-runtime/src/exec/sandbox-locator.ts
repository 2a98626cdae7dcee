/** Where a running sandbox's agent is, as its shim recorded it. */
export interface SandboxLocation {
  /** The agent's address, e.g. `hvsock:///run/kata-ts/<id>/proxy.sock:1024` or `vsock://3:1024`. */
  agentUri: string;
  /** The configuration file the shim loaded for this sandbox, when it recorded one. */
  configPath?: string;
}

export type SandboxLocator = (sandboxId: string) => Promise<SandboxLocation>;

/** Kata's debug console listens on vsock port 1026 in the guest. */
export const DEBUG_CONSOLE_PORT = 1026;

/** The same channel as the agent's, on the debug console's port. */
export function consoleUri(agentUri: string, port = DEBUG_CONSOLE_PORT): string {
  const match = /^(vsock|hvsock):\/\/(.+):(\d+)$/.exec(agentUri);
  if (!match) throw new Error(`agent address ${agentUri} has no vsock port to replace`);
  return `${match[1]}://${match[2]}:${port}`;
}
