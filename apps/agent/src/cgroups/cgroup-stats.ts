import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** cgroup statistics of one container, in the units Kata's StatsContainer reports. */
export interface ContainerStats {
  cpu: {
    totalNs: number;
    perCpuNs: number[];
    kernelNs: number;
    userNs: number;
    periods: number;
    throttledPeriods: number;
    throttledNs: number;
  };
  /** Limits are exact uint64s ("max" is 2^64-1, v1's unlimited 2^63 - page size); they travel as jstype strings. */
  memory: { usage: number; maxUsage: number; failcnt: number; limit: bigint; cache: number; stats: Record<string, number> };
  pids: { current: number; limit: bigint };
}

const CGROUP_ROOT = '/sys/fs/cgroup';
/** "max" in a v2 limit file: no limit, reported as the uint64 maximum, as containerd's cgroups library does. */
const UNLIMITED = (1n << 64n) - 1n;
/**
 * Counters (usage, CPU time, events) are JS numbers on the wire (forceLong=number): one past 2^53
 * would be refused by the shim's decoder, so it saturates there (2^53 ns of CPU is 104 days).
 */
const COUNTER_MAX = Number.MAX_SAFE_INTEGER;
/** v1 cpuacct.stat counts USER_HZ ticks (100 per second on Linux). */
const NS_PER_TICK = 10_000_000;

/**
 * Reads cgroup files of a container at `path` (e.g. /kata/<sandbox>/<container>), on the
 * unified v2 hierarchy (the guest) or the v1 per-controller hierarchies (older hosts).
 * crun creates and places the cgroups; this only reads them.
 */
export class CgroupStats {
  readonly version: 1 | 2;

  constructor(readonly root = CGROUP_ROOT) {
    this.version = existsSync(join(root, 'cgroup.controllers')) ? 2 : 1;
  }

  /** Directories that exist for this cgroup path (one in v2, one per controller in v1). */
  directories(path: string): string[] {
    if (this.version === 2) return [join(this.root, path)];
    return ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd']
      .map((c) => join(this.root, c, path))
      .filter((d) => existsSync(d));
  }

  /** The file that says so (v2 memory.events: inotify reports its changes); none on v1. */
  oomKillsFile(path: string): string | undefined {
    return this.version === 2 ? join(this.root, path, 'memory.events') : undefined;
  }

  /** How many times the kernel OOM-killed a process of this cgroup. */
  oomKills(path: string): number {
    const file = this.version === 2 ? this.#v2(path, 'memory.events') : this.#v1(path, 'memory', 'memory.oom_control');
    return keyed(file).oom_kill ?? 0;
  }

  /**
   * What tells thrashing at the cgroup's own limit (v2 only; undefined on v1, which has no
   * per-cgroup PSI): how often a charge hit memory.max, how many evicted pages were faulted back
   * (workingset refaults), and the share of the last 10 s all its tasks stalled on memory (PSI
   * `full avg10`, percent). All but the last are counters since the cgroup was made.
   */
  memoryThrash(path: string): { limitHits: number; refaults: number; fullAvg10: number } | undefined {
    if (this.version !== 2) return undefined;
    const full = /^full avg10=([\d.]+)/m.exec(this.#v2(path, 'memory.pressure'));
    if (!full) return undefined;
    const stat = keyed(this.#v2(path, 'memory.stat'));
    return {
      limitHits: keyed(this.#v2(path, 'memory.events')).max ?? 0,
      refaults: (stat.workingset_refault_file ?? 0) + (stat.workingset_refault_anon ?? 0),
      fullAvg10: Number(full[1]),
    };
  }

  /** SIGKILLs every process of the cgroup and its children at once (v2 cgroup.kill). */
  kill(path: string): void {
    writeFileSync(join(this.root, path, 'cgroup.kill'), '1');
  }

  /** Whether every process of the cgroup is frozen (v2 cgroup.events, v1 freezer.state). */
  frozen(path: string): boolean {
    if (this.version === 2) return keyed(this.#v2(path, 'cgroup.events')).frozen === 1;
    return this.#v1(path, 'freezer', 'freezer.state').trim() === 'FROZEN';
  }

  read(path: string): ContainerStats {
    return this.version === 2 ? this.#readV2(path) : this.#readV1(path);
  }

  #readV2(path: string): ContainerStats {
    const cpu = keyed(this.#v2(path, 'cpu.stat'));
    const memStat = keyed(this.#v2(path, 'memory.stat'));
    const events = keyed(this.#v2(path, 'memory.events'));
    const usage = num(this.#v2(path, 'memory.current'));
    return {
      cpu: {
        totalNs: (cpu.usage_usec ?? 0) * 1000,
        perCpuNs: [],
        kernelNs: (cpu.system_usec ?? 0) * 1000,
        userNs: (cpu.user_usec ?? 0) * 1000,
        periods: cpu.nr_periods ?? 0,
        throttledPeriods: cpu.nr_throttled ?? 0,
        throttledNs: (cpu.throttled_usec ?? 0) * 1000,
      },
      memory: {
        usage,
        maxUsage: num(this.#v2(path, 'memory.peak')) || usage,
        failcnt: events.max ?? 0,
        limit: u64(this.#v2(path, 'memory.max')),
        cache: memStat.file ?? 0,
        stats: memStat,
      },
      pids: { current: num(this.#v2(path, 'pids.current')), limit: u64(this.#v2(path, 'pids.max')) },
    };
  }

  #readV1(path: string): ContainerStats {
    const acct = keyed(this.#v1(path, 'cpuacct', 'cpuacct.stat'));
    const throttle = keyed(this.#v1(path, 'cpu', 'cpu.stat'));
    const memStat = keyed(this.#v1(path, 'memory', 'memory.stat'));
    return {
      cpu: {
        totalNs: num(this.#v1(path, 'cpuacct', 'cpuacct.usage')),
        perCpuNs: this.#v1(path, 'cpuacct', 'cpuacct.usage_percpu').trim().split(/\s+/).filter(Boolean).map(Number),
        kernelNs: (acct.system ?? 0) * NS_PER_TICK,
        userNs: (acct.user ?? 0) * NS_PER_TICK,
        periods: throttle.nr_periods ?? 0,
        throttledPeriods: throttle.nr_throttled ?? 0,
        throttledNs: throttle.throttled_time ?? 0,
      },
      memory: {
        usage: num(this.#v1(path, 'memory', 'memory.usage_in_bytes')),
        maxUsage: num(this.#v1(path, 'memory', 'memory.max_usage_in_bytes')),
        failcnt: num(this.#v1(path, 'memory', 'memory.failcnt')),
        limit: u64(this.#v1(path, 'memory', 'memory.limit_in_bytes')),
        cache: memStat.cache ?? 0,
        stats: memStat,
      },
      pids: { current: num(this.#v1(path, 'pids', 'pids.current')), limit: u64(this.#v1(path, 'pids', 'pids.max')) },
    };
  }

  #v2(path: string, file: string): string {
    return readOr(join(this.root, path, file));
  }

  #v1(path: string, controller: string, file: string): string {
    return readOr(join(this.root, controller, path, file));
  }
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function num(text: string): number {
  const t = text.trim();
  if (t === 'max') return COUNTER_MAX;
  const n = Number(t);
  return Number.isFinite(n) ? Math.min(n, COUNTER_MAX) : 0;
}

/** A limit file, exact: "max" is UNLIMITED, a missing or unreadable file 0. */
function u64(text: string): bigint {
  const t = text.trim();
  if (t === 'max') return UNLIMITED;
  return /^\d+$/.test(t) ? BigInt(t) : 0n;
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control). */
function keyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = num(v);
  }
  return out;
}
