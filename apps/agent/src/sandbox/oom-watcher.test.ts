import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CgroupStats } from '../cgroups/cgroup-stats';
import { OomWatcher } from './oom-watcher';

/** One container's cgroup files, as the watcher reads them. */
function fakeCgroup(eventsFile?: string) {
  const cg = { oomKills: 0, limitHits: 0, refaults: 0, fullAvg10: 0, killed: 0 };
  const cgroups = {
    oomKillsFile: () => eventsFile,
    oomKills: () => cg.oomKills,
    memoryThrash: () => ({ limitHits: cg.limitHits, refaults: cg.refaults, fullAvg10: cg.fullAvg10 }),
    kill: () => void cg.killed++,
  } as unknown as CgroupStats;
  const watcher = new OomWatcher(cgroups, () => [{ id: 'c1', cgroupPath: '/kata/s/c1' }]);
  watcher.track({ id: 'c1', cgroupPath: '/kata/s/c1' });
  return { cg, watcher };
}

/** Advances `ms` in 200 ms polls, the container doing `each` every poll. */
async function polls(ms: number, each: () => void) {
  for (let t = 0; t < ms; t += 200) {
    each();
    await vi.advanceTimersByTimeAsync(200);
  }
}

/** What was measured in a guest: 1,000 limit hits and 5,400 refaults a second, PSI full ~25 %. */
const thrash = (cg: ReturnType<typeof fakeCgroup>['cg']) => () => {
  cg.limitHits += 200;
  cg.refaults += 1080;
  cg.fullAvg10 = 25;
};

describe('OomWatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reports a kernel OOM kill', async () => {
    const { cg, watcher } = fakeCgroup();
    const next = watcher.next();
    cg.oomKills = 1;
    await vi.advanceTimersByTimeAsync(200);
    expect(await next).toBe('c1');
    watcher.close();
  });

  it('kills and reports a container that thrashes at its limit for two 10 s windows', async () => {
    const { cg, watcher } = fakeCgroup();
    let reported: string | undefined;
    void watcher.next().then((id) => (reported = id));
    await polls(19_000, thrash(cg));
    expect(cg.killed).toBe(0);
    await polls(2_000, thrash(cg));
    expect(cg.killed).toBe(1);
    expect(reported).toBe('c1');
    watcher.close();
  });

  it('leaves alone what is not thrashing at the limit', async () => {
    const { cg, watcher } = fakeCgroup();
    // Stalled and refaulting, but from the whole VM's shortage: no charge hits its own limit.
    await polls(30_000, () => ((cg.refaults += 2000), (cg.fullAvg10 = 90)));
    // At its limit, reclaiming page cache it does not need again (streaming I/O): few refaults.
    await polls(30_000, () => ((cg.limitHits += 200), (cg.refaults += 100)));
    // At its limit and refaulting, but running most of the time.
    await polls(30_000, () => ((cg.limitHits += 200), (cg.refaults += 2000), (cg.fullAvg10 = 2)));
    expect(cg.killed).toBe(0);
    watcher.close();
  });

  it('on cgroup v2 reads memory.events when it changes, not every poll', async () => {
    vi.useRealTimers();
    const dir = mkdtempSync(join(tmpdir(), 'oom-watcher-'));
    const file = join(dir, 'memory.events');
    writeFileSync(file, 'oom_kill 0\n');
    const { cg, watcher } = fakeCgroup(file);
    const next = watcher.next();
    cg.oomKills = 1; // what the kernel counts; the watcher only learns it from the file's change
    await new Promise((r) => setTimeout(r, 500));
    let reported: string | undefined;
    void next.then((id) => (reported = id));
    await new Promise((r) => setTimeout(r, 10));
    expect(reported).toBeUndefined();
    writeFileSync(file, 'oom_kill 1\n');
    expect(await next).toBe('c1');
    watcher.close();
    rmSync(dir, { recursive: true });
  });

  it('starts counting again when a window does not thrash', async () => {
    const { cg, watcher } = fakeCgroup();
    const calm = () => void (cg.fullAvg10 = 0);
    for (let i = 0; i < 3; i++) {
      await polls(10_000, thrash(cg));
      await polls(10_000, calm);
    }
    expect(cg.killed).toBe(0);
    watcher.close();
  });
});
