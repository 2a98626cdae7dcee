import { KataError } from '@kata-ts/errors';

/** The agent could not be reached, or did not pass its health check, before the deadline. */
export class AgentConnectError extends KataError<'UNREACHABLE'> {
  constructor(message: string, options?: ErrorOptions) {
    super('UNREACHABLE', message, options);
  }
}
