import type { CgroupStats } from '../cgroups/cgroup-stats';

interface Watched {
  id: string;
  cgroupPath: string;
}

/** How often memory.events (v2) / memory.oom_control (v1) are read. */
const POLL_MS = 200;

/**
 * Turns increases of a container's oom_kill counter into events for GetOOMEvent's long
 * poll. Polls (v1 has no file notification for it) and only while someone may listen.
 */
export class OomWatcher {
  readonly #counts = new Map<string, number>();
  readonly #queue: string[] = [];
  #waiters: ((id: string | undefined) => void)[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly cgroups: CgroupStats,
    readonly containers: () => Iterable<Watched>,
  ) {}

  /** Resolves with the id of the next container that saw an OOM kill; undefined when closed. */
  next(): Promise<string | undefined> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    this.#ensureTimer();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Starts counting a container (call when it is created, so earlier kills are not missed). */
  track(c: Watched): void {
    this.#counts.set(c.id, this.cgroups.oomKills(c.cgroupPath));
    this.#ensureTimer();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(undefined);
  }

  poll(): void {
    const live = new Set<string>();
    for (const c of this.containers()) {
      live.add(c.id);
      const count = this.cgroups.oomKills(c.cgroupPath);
      const before = this.#counts.get(c.id) ?? 0;
      this.#counts.set(c.id, count);
      if (count > before) this.#emit(c.id);
    }
    for (const id of this.#counts.keys()) if (!live.has(id)) this.#counts.delete(id);
    if (live.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #emit(id: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(id);
    else this.#queue.push(id);
  }

  #ensureTimer(): void {
    this.#timer ??= setInterval(() => this.poll(), POLL_MS).unref();
  }
}
