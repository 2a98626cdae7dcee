import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEBUG_CONSOLE_PORT } from '@kata-ts/guest-contract';

export interface DebugConsoleConfig {
  /** The vsock port the console listens on, on the agent's channels. */
  port: number;
  /** The shell and its arguments. */
  shell: string[];
}

/**
 * The debug console settings from the kernel command line, as Kata's agent reads them:
 * `agent.debug_console` switches it on (nothing listens otherwise), `agent.debug_console_vport=N`
 * picks the port (default 1026). Undefined when the console is off.
 */
export function debugConsoleFromCmdline(cmdline: string, shell: string[]): DebugConsoleConfig | undefined {
  const words = cmdline.trim().split(/\s+/);
  if (!words.includes('agent.debug_console')) return undefined;
  const vport = words.find((w) => w.startsWith('agent.debug_console_vport='))?.split('=')[1];
  const port = vport === undefined ? DEBUG_CONSOLE_PORT : Number(vport);
  if (!Number.isInteger(port) || port <= 0 || port > 0xffffffff) throw new Error(`agent.debug_console_vport=${vport}: not a port`);
  return { port, shell };
}

/**
 * The console's shell: the guest's own bash or sh if it has one, else the busybox shipped beside
 * the agent for the console only (the kata-ts guest has no shell of its own).
 */
export function consoleShell(agentDir: string, exists: (path: string) => boolean = existsSync): string[] {
  for (const sh of ['/bin/bash', '/bin/sh']) if (exists(sh)) return [sh];
  return [join(agentDir, 'busybox'), 'sh'];
}
