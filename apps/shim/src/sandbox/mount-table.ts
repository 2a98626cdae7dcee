import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Mount points at or below `dir` from /proc/self/mountinfo, deepest first. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((m): m is string => !!m)
    .map((m) => m.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m === dir || m.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or below `dir` (deepest first; lazily if busy). */
export async function unmountAll(dir: string): Promise<void> {
  for (const m of mountsUnder(dir)) {
    await run('umount', [m]).catch(() => run('umount', ['-l', m]).catch(() => undefined));
  }
}

/** mount(8) with containerd's Mount fields; bind/rbind are options, not a type. */
export async function mount(type: string, source: string, target: string, options: string[]): Promise<void> {
  const bind = type === 'bind' || options.some((o) => o === 'bind' || o === 'rbind');
  const args = bind ? [] : ['-t', type];
  if (bind && !options.some((o) => o === 'bind' || o === 'rbind')) options = ['rbind', ...options];
  if (options.length) args.push('-o', options.join(','));
  args.push(source, target);
  try {
    await run('mount', args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`mount ${args.join(' ')}: ${stderr || (err as Error).message}`);
  }
}
