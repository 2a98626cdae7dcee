import type { KataConfig } from '@kata-ts/config';
import { DEBUG_CONSOLE_PORT } from '@kata-ts/guest-contract';

/**
 * The guest kernel's command line: the configured parameters, plus the debug console's when
 * `[agent.kata] debug_console_enabled` (as Kata's runtime adds them; the agent serves the
 * console only when it finds them).
 */
export function kernelParams(config: Pick<KataConfig, 'hypervisor' | 'agent'>): string {
  const debugConsole = config.agent.debugConsoleEnabled ? ` agent.debug_console agent.debug_console_vport=${DEBUG_CONSOLE_PORT}` : '';
  return `${config.hypervisor.kernelParams}${debugConsole}`.trim();
}
