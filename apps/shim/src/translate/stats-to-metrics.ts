import { agent, cgroupsV2, packAny, type google } from '@kata-ts/protocols';

/**
 * The agent's cgroup stats as containerd's cgroup v2 Metrics (what `ctr task metrics` decodes for
 * a v2 host): CPU in microseconds, memory usage and limit, pids.
 */
export function statsToMetrics(stats: agent.StatsContainerResponse): google.Any {
  const s = stats.cgroupStats;
  const cpu = s?.cpuStats?.cpuUsage;
  const mem = s?.memoryStats;
  const memStat = (name: string) => mem?.stats[name] ?? 0;
  return packAny(
    cgroupsV2.Metrics,
    cgroupsV2.Metrics.fromPartial({
      pids: s?.pidsStats && { current: s.pidsStats.current, limit: s.pidsStats.limit || '0' },
      cpu: cpu && {
        usageUsec: Math.floor(cpu.totalUsage / 1000),
        userUsec: Math.floor(cpu.usageInUsermode / 1000),
        systemUsec: Math.floor(cpu.usageInKernelmode / 1000),
        nrPeriods: s?.cpuStats?.throttlingData?.periods ?? 0,
        nrThrottled: s?.cpuStats?.throttlingData?.throttledPeriods ?? 0,
        throttledUsec: Math.floor((s?.cpuStats?.throttlingData?.throttledTime ?? 0) / 1000),
      },
      memory: mem && {
        usage: mem.usage?.usage ?? 0,
        usageLimit: mem.usage?.limit || '0',
        swapUsage: mem.swapUsage?.usage ?? 0,
        swapLimit: mem.swapUsage?.limit || '0',
        anon: memStat('anon'),
        file: memStat('file'),
        kernelStack: memStat('kernel_stack'),
        slab: memStat('slab'),
        sock: memStat('sock'),
        shmem: memStat('shmem'),
        pgfault: memStat('pgfault'),
        pgmajfault: memStat('pgmajfault'),
      },
    }),
  );
}
