import { readdirSync, readFileSync } from 'node:fs';

/**
 * Every process started under a harness inherits `KATA_TS_HARNESS=<dir>` through its environment
 * (containerd → shim → qemu/proxy; shims get their own process group, so a group kill cannot
 * reach them). Scanning /proc for that marker finds them all, including orphans.
 */
export const HARNESS_ENV = 'KATA_TS_HARNESS';

export interface HarnessProcess {
  pid: number;
  comm: string;
  cmdline: string;
}

export function findHarnessProcesses(dir: string): HarnessProcess[] {
  const marker = `${HARNESS_ENV}=${dir}`;
  const found: HarnessProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      found.push({
        pid,
        comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim(),
        cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim(),
      });
    } catch {
      // exited while we looked, or a kernel thread
    }
  }
  return found;
}

/** SIGKILLs every harness process; returns once they are gone (or after `timeoutMs`). */
export async function killHarnessProcesses(dir: string, timeoutMs = 10_000): Promise<HarnessProcess[]> {
  const deadline = Date.now() + timeoutMs;
  let left = findHarnessProcesses(dir);
  const killed = left;
  while (left.length && Date.now() < deadline) {
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    left = findHarnessProcesses(dir);
  }
  return killed;
}
