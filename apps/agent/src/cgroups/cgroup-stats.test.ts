import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CgroupStats } from './cgroup-stats';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cg-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('CgroupStats', () => {
  it('reads cgroup v2 files', () => {
    const root = tree({
      'cgroup.controllers': 'cpu memory pids',
      'kata/sb/c/cpu.stat': 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 20\n',
      'kata/sb/c/memory.current': '4096\n',
      'kata/sb/c/memory.max': 'max\n',
      'kata/sb/c/memory.stat': 'anon 100\nfile 200\n',
      'kata/sb/c/memory.events': 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n',
      'kata/sb/c/pids.current': '2\n',
      'kata/sb/c/pids.max': '10\n',
    });
    const cg = new CgroupStats(root);
    expect(cg.version).toBe(2);
    const s = cg.read('/kata/sb/c');
    expect(s.cpu).toMatchObject({ totalNs: 1_500_000, userNs: 1_000_000, kernelNs: 500_000, periods: 4, throttledPeriods: 1, throttledNs: 20_000 });
    expect(s.memory).toMatchObject({ usage: 4096, maxUsage: 4096, failcnt: 3, limit: 18446744073709551615n, cache: 200 });
    expect(s.pids).toEqual({ current: 2, limit: 10n });
    expect(cg.oomKills('/kata/sb/c')).toBe(1);
    expect(cg.directories('/kata/sb')).toEqual([join(root, 'kata/sb')]);
  });

  it('reads what tells thrashing at the limit (v2 events, refaults, PSI) and kills through cgroup.kill', () => {
    const root = tree({
      'cgroup.controllers': 'memory',
      'kata/sb/c/memory.pressure': 'some avg10=99.10 avg60=80.00 avg300=20.00 total=1\nfull avg10=97.53 avg60=75.00 avg300=19.00 total=2\n',
      'kata/sb/c/memory.events': 'low 0\nhigh 0\nmax 2252279\noom 0\noom_kill 0\n',
      'kata/sb/c/memory.stat': 'anon 4096\nworkingset_refault_anon 2\nworkingset_refault_file 324480\n',
      'kata/sb/c/cgroup.kill': '',
    });
    const cg = new CgroupStats(root);
    expect(cg.memoryThrash('/kata/sb/c')).toEqual({ limitHits: 2252279, refaults: 324482, fullAvg10: 97.53 });
    expect(cg.memoryThrash('/kata/sb/gone')).toBeUndefined();
    cg.kill('/kata/sb/c');
    expect(readFileSync(join(root, 'kata/sb/c/cgroup.kill'), 'utf8')).toBe('1');
  });

  it('reads cgroup v1 controllers', () => {
    const root = tree({
      'cpuacct/kata/sb/c/cpuacct.usage': '3000\n',
      'cpuacct/kata/sb/c/cpuacct.usage_percpu': '1000 2000 \n',
      'cpuacct/kata/sb/c/cpuacct.stat': 'user 2\nsystem 1\n',
      'memory/kata/sb/c/memory.usage_in_bytes': '8192\n',
      'memory/kata/sb/c/memory.max_usage_in_bytes': '9000\n',
      'memory/kata/sb/c/memory.limit_in_bytes': '65536\n',
      'memory/kata/sb/c/memory.failcnt': '5\n',
      'memory/kata/sb/c/memory.stat': 'cache 300\nrss 10\n',
      'memory/kata/sb/c/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
      'pids/kata/sb/c/pids.current': '1\n',
      'pids/kata/sb/c/pids.max': 'max\n',
    });
    const cg = new CgroupStats(root);
    expect(cg.version).toBe(1);
    const s = cg.read('/kata/sb/c');
    expect(s.cpu).toMatchObject({ totalNs: 3000, perCpuNs: [1000, 2000], userNs: 20_000_000, kernelNs: 10_000_000 });
    expect(s.memory).toMatchObject({ usage: 8192, maxUsage: 9000, failcnt: 5, limit: 65536n, cache: 300 });
    expect(s.pids).toEqual({ current: 1, limit: 18446744073709551615n });
    // v1's "unlimited" is 2^63 - page size: exact too.
    writeFileSync(join(root, 'memory/kata/sb/c/memory.limit_in_bytes'), '9223372036854771712\n');
    expect(cg.read('/kata/sb/c').memory.limit).toBe(9223372036854771712n);
    expect(cg.oomKills('/kata/sb/c')).toBe(2);
    expect(cg.directories('/kata/sb').sort()).toEqual([join(root, 'cpuacct/kata/sb'), join(root, 'memory/kata/sb'), join(root, 'pids/kata/sb')]);
  });
});
