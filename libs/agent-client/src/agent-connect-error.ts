/** The agent could not be reached, or did not pass its health check, before the deadline. */
export class AgentConnectError extends Error {
  override readonly name = 'AgentConnectError';
  readonly code = 'UNREACHABLE';
}
