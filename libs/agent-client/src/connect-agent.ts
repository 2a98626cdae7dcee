import { setTimeout as sleep } from 'node:timers/promises';
import { describeChannel, openChannel, type AgentChannel, type GuestEndpoint } from '@kata-ts/agent-transport';
import type { Logger } from '@kata-ts/logging';
import type { AgentClient } from './agent-client';
import { AgentConnectError } from './agent-connect-error';
import { TtrpcAgentClient } from './ttrpc-agent-client';

const RETRY_DELAY_MS = 50;

/**
 * The one way the host reaches an agent (shim, factory, tests): opens the channel the hypervisor
 * (or kata-proxy) describes and returns a client once grpc.Health/Check says SERVING, retrying
 * while the guest boots until `timeoutMs`. A stream the guest lost while (re)opening its serial
 * port is retried on the same channel. Closing the client releases a channel it opened; an
 * endpoint the caller opened (the shim holding the serial channel itself) stays the caller's.
 */
export async function connectAgent(channel: AgentChannel | GuestEndpoint, options: { timeoutMs: number; log: Logger }): Promise<AgentClient> {
  const deadline = performance.now() + options.timeoutMs;
  const remaining = () => Math.max(1, Math.ceil(deadline - performance.now()));
  const opened = 'kind' in channel;
  const fail = (err: unknown) =>
    new AgentConnectError(
      `the agent did not answer on ${opened ? describeChannel(channel) : channel.description} within ${options.timeoutMs} ms: ${(err as Error).message}`,
      { cause: err },
    );
  let endpoint: GuestEndpoint;
  try {
    endpoint = opened ? await openChannel(channel, { timeoutMs: remaining(), logger: options.log }) : channel;
  } catch (err) {
    throw fail(err);
  }
  const release = () => opened && endpoint.close();
  for (;;) {
    // Only the client handed out owns the channel; a failed attempt's close leaves it open.
    let owner = false;
    let client: AgentClient | undefined;
    try {
      client = new TtrpcAgentClient(await endpoint.connect({ timeoutMs: remaining() }), options.log, () => owner && release());
      await client.check(remaining());
      owner = true;
      return client;
    } catch (err) {
      await client?.close();
      // Too little time left for another attempt: report this one's error, not a dial timeout.
      if (deadline - performance.now() < RETRY_DELAY_MS * 2 || endpoint.closed) {
        release();
        throw fail(err);
      }
    }
    await sleep(RETRY_DELAY_MS);
  }
}
