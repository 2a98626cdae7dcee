import { readdirSync, readFileSync } from 'node:fs';

/** However loaded the host, a boot is given up on after this many dial timeouts. */
const MAX_TIMEOUTS = 4;

/**
 * How long the shim waits for a booting VM's agent: `agent.kata.dial_timeout`, plus the time the
 * VM was kept off a CPU by other load (the longest run-queue wait of its threads, which under TCG
 * is the vCPU's), up to MAX_TIMEOUTS dial timeouts in all. With a fixed deadline, ten pods booting
 * at once on a 2-core TCG host were slowed alike and all ten failed, and a retry fails the same
 * way; a guest that hangs on its own still fails after `dial_timeout`.
 */
export class BootBudget {
  readonly #start = Date.now();
  #vmPid?: number;

  constructor(
    readonly dialTimeoutMs: number,
    private readonly readWaitMs: (pid: number) => number = runQueueWaitMs,
  ) {}

  /** The VM's process: its threads' waits count from its start. */
  watch(vmPid: number | undefined): void {
    this.#vmPid = vmPid;
  }

  /** Time the VM spent runnable but waiting for a CPU, as far as it extends the deadline. */
  extensionMs(): number {
    const waited = this.#vmPid ? this.readWaitMs(this.#vmPid) : 0;
    return Math.min(waited, (MAX_TIMEOUTS - 1) * this.dialTimeoutMs);
  }

  remainingMs(): number {
    return this.#start + this.dialTimeoutMs + this.extensionMs() - Date.now();
  }
}

/** The longest run-queue wait (ms) of any thread of `pid` (/proc/<pid>/task/<tid>/schedstat); 0 once it is gone. */
export function runQueueWaitMs(pid: number): number {
  let longest = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const fields = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
      longest = Math.max(longest, Number(fields[1]) / 1e6 || 0);
    }
  } catch {
    // The process or a thread ended while being read: what was read stands.
  }
  return longest;
}
