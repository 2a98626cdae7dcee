import type { PrivateContainerd } from '@kata-ts/testing';

/** Polls `check` every 200 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A task's STATUS column in `ctr task ls` (RUNNING, STOPPED, ...); undefined when containerd has none. */
export async function taskStatus(containerd: PrivateContainerd, id: string): Promise<string | undefined> {
  const r = await containerd.ctr(['task', 'ls']);
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((cols) => cols[0] === id)?.[2];
}

/** True once `pid` no longer exists (or is a zombie nobody reaped yet: it runs nothing). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  return false;
}
