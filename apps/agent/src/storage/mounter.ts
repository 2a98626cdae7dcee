import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { CommandError, InvalidArgumentError } from '../errors';

/** A filesystem the shim asks the agent to mount (Kata's Storage message). */
export interface StorageRequest {
  driver: string;
  source: string;
  fstype: string;
  options: string[];
  mountPoint: string;
}

/** Mount points of the agent's mount namespace, from /proc/self/mountinfo. */
export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => unescapeMountPath(line.split(' ')[4] ?? ''));
}

export function isMountPoint(path: string): boolean {
  return mountPoints().includes(path);
}

export function validateStorage(s: StorageRequest, field: string): void {
  if (!s.mountPoint || !isAbsolute(s.mountPoint)) throw new InvalidArgumentError(`${field}.mount_point: "${s.mountPoint}" is not absolute`);
  if (!s.fstype && s.driver !== 'bind') throw new InvalidArgumentError(`${field}.fstype: missing`);
  if (!s.source) throw new InvalidArgumentError(`${field}.source: missing`);
}

/** Node has no mount(2): the agent runs mount(8) (util-linux on hosts, busybox in the guest). */
export async function mountStorage(s: StorageRequest): Promise<void> {
  mkdirSync(s.mountPoint, { recursive: true });
  const bind = s.driver === 'bind' || s.fstype === 'bind';
  const options = bind ? ['bind', ...s.options.filter((o) => o !== 'bind')] : s.options;
  const args = [...(bind ? [] : ['-t', s.fstype]), ...(options.length ? ['-o', options.join(',')] : []), s.source, s.mountPoint];
  await run('mount', args);
}

export async function unmount(path: string): Promise<void> {
  try {
    await run('umount', [path]);
  } catch {
    // Busy (a process still has a file open): detach now, the kernel frees it later.
    await run('umount', ['-l', path]);
  }
}

export function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, (error, stdout, stderr) => {
      if (error) reject(new CommandError(`${command} ${args.join(' ')}`, typeof error.code === 'number' ? error.code : null, stderr || error.message));
      else resolve(stdout);
    });
  });
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
