import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { DeployError } from './deploy-error';
import { onHost, type DeployOptions } from './options';

const execFileAsync = promisify(execFile);
const UNIT_DIRS = ['/etc/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];

/** The first of `units` installed on the node (the first one when none is found). */
export function systemdUnit(options: Pick<DeployOptions, 'hostRoot'>, units: string[]): string {
  return units.find((u) => UNIT_DIRS.some((d) => existsSync(onHost(options, `${d}/${u}.service`)))) ?? units[0]!;
}

/**
 * Restarts containerd: the given command (`sh -c`), else systemd's unit from the node's own
 * mount namespace (the DaemonSet has hostPID, so pid 1 is the node's init), as Kata does.
 */
export async function restartContainerd(options: DeployOptions, unit: string): Promise<string> {
  const [file, args] = options.restartCommand
    ? ['sh', ['-c', options.restartCommand]]
    : ['nsenter', ['--target', '1', '--mount', '--', 'systemctl', 'restart', unit]];
  const how = `${file} ${args.join(' ')}`;
  try {
    await execFileAsync(file, args, { timeout: 300_000 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new DeployError('RESTART', `${how} failed: ${(e.stderr || e.message).trim().split('\n').slice(-3).join(' | ')}`);
  }
  return how;
}
