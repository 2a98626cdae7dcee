import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '@kata-ts/errors';

/**
 * ListProcesses: "json" gives the container's host pids as a JSON array (like `runc ps
 * --format json`); "table" a ps-like table (PID PPID UID STAT CMD) built from /proc, since the
 * guest has no ps(1). Extra ps arguments are not interpreted.
 */
export function listProcesses(pids: number[], format: string): Buffer {
  if (format === 'json') return Buffer.from(JSON.stringify(pids));
  if (format !== 'table' && format !== '') throw new InvalidArgumentError(`format: "${format}" is neither "table" nor "json"`);
  const rows = ['PID PPID UID STAT CMD'];
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status)?.[1] ?? '?';
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') || `[${field('Name')}]`;
      rows.push(`${pid} ${field('PPid')} ${field('Uid')} ${field('State')} ${cmd}`);
    } catch {
      // Exited while listing.
    }
  }
  return Buffer.from(`${rows.join('\n')}\n`);
}
