import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { FactoryError } from './factory-error';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in a lock file; NaN while its writer has not written it yet; undefined if gone. */
function lockHolder(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim() || 'NaN');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Runs `fn` holding `path` as a lock file (O_EXCL, holding our pid), so that of several shims
 * starting pods at once only one makes a template. A lock whose process is gone is taken over,
 * after `onStale(pid)` has cleaned up what that process left.
 */
export async function withLock<T>(path: string, timeoutMs: number, fn: () => Promise<T>, onStale: (pid: number) => void = () => {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = lockHolder(path);
    if (holder === undefined) continue; // released meanwhile
    if (Number.isInteger(holder) && !alive(holder)) {
      onStale(holder);
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new FactoryError('LOCKED', `${path} is held by pid ${holder} for longer than ${timeoutMs} ms`);
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
