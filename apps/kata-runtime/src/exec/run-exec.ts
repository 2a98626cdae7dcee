import type { Duplex, Writable } from 'node:stream';
import type { KataConfig } from '@kata-ts/config';
import { CliError } from '../cli-error';
import { attachConsole, type ConsoleStdin } from './attach-console';
import { consoleUri, type SandboxLocator } from './sandbox-locator';

export interface ExecDeps {
  locate: SandboxLocator;
  /** The sandbox's configuration: the file its shim loaded when known, else the CLI's lookup. */
  loadConfig: (recordedPath: string | undefined) => KataConfig;
  dial: (uri: string) => Promise<Duplex>;
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
  const uri = consoleUri(location.agentUri);
  let conn: Duplex;
  try {
    conn = await deps.dial(uri);
  } catch (err) {
    // The CLI's configuration may differ from the one the sandbox was started with.
    throw new CliError(
      'CONSOLE_UNREACHABLE',
      `cannot reach the debug console of sandbox ${sandboxId} at ${uri} (was the sandbox started with debug_console_enabled = true?): ${(err as Error).message}`,
    );
  }
  await attachConsole(conn, deps.stdin, deps.stdout);
  return 0;
}
