import { InvalidArgumentError } from '../errors';
import { run } from '../storage/mounter';

/**
 * ListProcesses: "json" gives the container's host pids as a JSON array (like `runc ps
 * --format json`); "table" runs ps(1) with `args` (default -ef) and keeps the header and the
 * rows of the container's pids.
 */
export async function listProcesses(pids: number[], format: string, args: string[]): Promise<Buffer> {
  if (format === 'json') return Buffer.from(JSON.stringify(pids));
  if (format !== 'table' && format !== '') throw new InvalidArgumentError(`format: "${format}" is neither "table" nor "json"`);
  const output = await run('ps', args.length ? args : ['-ef']);
  const [header = '', ...rows] = output.split('\n');
  const pidColumn = header.trim().split(/\s+/).indexOf('PID');
  if (pidColumn < 0) throw new InvalidArgumentError(`ps ${args.join(' ')}: output has no PID column`);
  const wanted = new Set(pids);
  const kept = rows.filter((row) => wanted.has(Number(row.trim().split(/\s+/)[pidColumn])));
  return Buffer.from([header, ...kept, ''].join('\n'));
}
