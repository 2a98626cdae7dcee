import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '@kata-ts/logging';
import type { CgroupStats } from '../cgroups/cgroup-stats';

interface Watched {
  id: string;
  cgroupPath: string;
}

/**
 * How often memory.oom_control (v1) is read, and thrash windows looked at. On v2 memory.events is
 * watched instead (inotify): reading it every poll cost a TCG guest's agent 4 % of its CPU.
 */
const POLL_MS = 200;
/**
 * A container thrashing at its memory limit is OOM-killed here, as the kernel would under runc.
 * The kernel kills only when reclaim frees nothing, but in the guest the page cache of the
 * container's own rootfs files (9p, charged to it) can always be reclaimed and faulted back: a
 * limit filled with what cannot be reclaimed (tmpfs, /dev/shm) then thrashes instead, for minutes
 * (seen under TCG: 5,400 pages faulted back a second, 1,000 limit hits a second, PSI full 20-40 %,
 * no OOM). On a host those pages mostly belong to whoever unpacked the image. Thrashing is judged
 * over 10 s windows: the limit hit, at least 1,000 pages a second faulted back, and every task
 * stalled on memory at least 10 % of the time; two such windows in a row and the cgroup is killed.
 */
const THRASH_WINDOW_MS = 10_000;
const THRASH_WINDOWS = 2;
const THRASH_REFAULTS_PER_S = 1_000;
const THRASH_FULL_PERCENT = 10;

interface ThrashWindow {
  start: number;
  limitHits: number;
  refaults: number;
  /** How many windows in a row before this one thrashed. */
  thrashed: number;
}

/**
 * Turns increases of a container's oom_kill counter, and kills of thrashing containers, into
 * events for GetOOMEvent's long poll. Polls (v1 has no file notification for it) and only while
 * someone may listen.
 */
export class OomWatcher {
  readonly #counts = new Map<string, number>();
  readonly #windows = new Map<string, ThrashWindow>();
  readonly #watchers = new Map<string, FSWatcher>();
  readonly #queue: string[] = [];
  #waiters: ((id: string | undefined) => void)[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly cgroups: CgroupStats,
    readonly containers: () => Iterable<Watched>,
    readonly log?: Logger,
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
    this.#watch(c);
    this.#ensureTimer();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const id of [...this.#watchers.keys()]) this.#unwatch(id);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(undefined);
  }

  poll(): void {
    const live = new Set<string>();
    for (const c of this.containers()) {
      live.add(c.id);
      if ((!this.#watchers.has(c.id) && this.#killed(c)) || this.#killedForThrashing(c)) this.#emit(c.id);
    }
    for (const id of this.#counts.keys()) if (!live.has(id)) this.#counts.delete(id);
    for (const id of this.#windows.keys()) if (!live.has(id)) this.#windows.delete(id);
    for (const id of this.#watchers.keys()) if (!live.has(id)) this.#unwatch(id);
    if (live.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Whether the kernel OOM-killed in `c` since the last look. */
  #killed(c: Watched): boolean {
    const count = this.cgroups.oomKills(c.cgroupPath);
    const before = this.#counts.get(c.id) ?? 0;
    this.#counts.set(c.id, count);
    return count > before;
  }

  /** v2: checks `c` when its memory.events changes; without a file to watch, the poll reads it. */
  #watch(c: Watched): void {
    const file = this.cgroups.oomKillsFile(c.cgroupPath);
    if (!file || this.#watchers.has(c.id)) return;
    try {
      const watcher = watch(file, { persistent: false }, () => {
        if (this.#killed(c)) this.#emit(c.id);
      });
      // The cgroup went away (its container was removed): the poll forgets it.
      watcher.on('error', () => this.#unwatch(c.id));
      this.#watchers.set(c.id, watcher);
    } catch (err) {
      this.log?.debug({ err, containerId: c.id }, 'memory.events not watchable: polled instead');
    }
  }

  #unwatch(id: string): void {
    this.#watchers.get(id)?.close();
    this.#watchers.delete(id);
  }

  #killedForThrashing(c: Watched): boolean {
    const now = Date.now();
    const w = this.#windows.get(c.id);
    // Read at the ends of windows only: three cgroup files every poll cost a TCG guest's agent
    // more CPU than anything but its stdout copies.
    if (w && now - w.start < THRASH_WINDOW_MS) return false;
    const m = this.cgroups.memoryThrash(c.cgroupPath);
    if (!m) return false;
    if (!w) {
      this.#windows.set(c.id, { start: now, limitHits: m.limitHits, refaults: m.refaults, thrashed: 0 });
      return false;
    }
    const refaultsPerS = Math.round(((m.refaults - w.refaults) * 1000) / (now - w.start));
    const thrashing = m.limitHits > w.limitHits && refaultsPerS >= THRASH_REFAULTS_PER_S && m.fullAvg10 >= THRASH_FULL_PERCENT;
    const thrashed = thrashing ? w.thrashed + 1 : 0;
    const kill = thrashed >= THRASH_WINDOWS;
    this.#windows.set(c.id, { start: now, limitHits: m.limitHits, refaults: m.refaults, thrashed: kill ? 0 : thrashed });
    if (!kill) return false;
    try {
      this.cgroups.kill(c.cgroupPath);
    } catch {
      return false; // the cgroup is gone: nothing left to kill
    }
    this.log?.warn({ containerId: c.id, refaultsPerS, fullAvg10: m.fullAvg10 }, 'container OOM-killed: it thrashed at its memory limit and the kernel killed nothing');
    return true;
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
