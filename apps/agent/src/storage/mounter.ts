import { mkdirSync, readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { InvalidArgumentError } from '@kata-ts/errors';
import type { SysHelper } from './sys-helper';
import type { GuestStorage } from '@kata-ts/guest-contract';

/** A filesystem the shim asks the agent to mount (Kata's Storage message). */

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

export function validateStorage(s: GuestStorage, field: string): void {
  if (!s.mountPoint || !isAbsolute(s.mountPoint)) throw new InvalidArgumentError(`${field}.mount_point: "${s.mountPoint}" is not absolute`);
  if (!s.fstype && s.driver !== 'bind') throw new InvalidArgumentError(`${field}.fstype: missing`);
  if (!s.source) throw new InvalidArgumentError(`${field}.source: missing`);
}

/** Mounts a storage (9p share, tmpfs, bind, block fs) at its mount point, creating it. */
export async function mountStorage(sys: SysHelper, s: GuestStorage): Promise<void> {
  mkdirSync(s.mountPoint, { recursive: true });
  const bind = s.driver === 'bind' || s.fstype === 'bind';
  const options = bind && !s.options.some((o) => o === 'bind' || o === 'rbind') ? ['rbind', ...s.options] : s.options;
  await sys.mount(bind ? 'none' : s.fstype, s.source, s.mountPoint, options);
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
