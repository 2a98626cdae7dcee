import type { Duplex, Writable } from 'node:stream';
import { describeChannel, type AgentChannel } from '@kata-ts/agent-transport';
import type { KataConfig } from '@kata-ts/config';
import { DEBUG_CONSOLE_PORT } from '@kata-ts/guest-contract';
import { CliError } from '../cli-error';
import { attachConsole, type ConsoleStdin } from './attach-console';
import type { SandboxLocator } from './sandbox-locator';

export interface ExecDeps {
  locate: SandboxLocator;
  /** The sandbox's configuration: the file its shim loaded when known, else the CLI's lookup. */
  loadConfig: (recordedPath: string | undefined) => KataConfig;
  /** A stream to `port` over the sandbox's channel. */
  dial: (channel: AgentChannel, port: number) => Promise<Duplex>;
  stdin: ConsoleStdin;
  stdout: Writable;
}

/**
 * `kata-runtime exec <sandbox-id>`: a shell in the guest through the agent's channel, port 1026.
 * Refused unless the configuration enables the debug console: it is a root shell in the VM.
 */
export async function runExec(sandboxId: string, deps: ExecDeps): Promise<number> {
  const location = await deps.locate(sandboxId);
  const config = deps.loadConfig(location.configPath);
  if (!config.agent.debugConsoleEnabled) {
    throw new CliError(
      'DEBUG_CONSOLE_DISABLED',
      `the debug console of sandbox ${sandboxId} is disabled: set debug_console_enabled = true under [agent.kata] in ${config.source.path} and restart the sandbox`,
    );
  }
  const channel = location.agentChannel;
  let conn: Duplex;
  try {
    conn = await deps.dial(channel, DEBUG_CONSOLE_PORT);
  } catch (err) {
    // The CLI's configuration may differ from the one the sandbox was started with.
    throw new CliError(
      'CONSOLE_UNREACHABLE',
      `cannot reach the debug console of sandbox ${sandboxId} at ${describeChannel(channel)} port ${DEBUG_CONSOLE_PORT} (was the sandbox started with debug_console_enabled = true?): ${(err as Error).message}`,
    );
  }
  await attachConsole(conn, deps.stdin, deps.stdout);
  return 0;
}
