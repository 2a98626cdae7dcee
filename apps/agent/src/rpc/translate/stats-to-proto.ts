import type { agent } from '@kata-ts/protocols';
import type { ContainerStats } from '../../cgroups/cgroup-stats';

export function statsToProto(s: ContainerStats): agent.StatsContainerResponse {
  return {
    cgroupStats: {
      cpuStats: {
        cpuUsage: { totalUsage: s.cpu.totalNs, percpuUsage: s.cpu.perCpuNs, usageInKernelmode: s.cpu.kernelNs, usageInUsermode: s.cpu.userNs },
        throttlingData: { periods: s.cpu.periods, throttledPeriods: s.cpu.throttledPeriods, throttledTime: s.cpu.throttledNs },
      },
      memoryStats: {
        cache: s.memory.cache,
        usage: { usage: s.memory.usage, maxUsage: s.memory.maxUsage, failcnt: s.memory.failcnt, limit: String(s.memory.limit) },
        useHierarchy: true,
        stats: s.memory.stats,
      },
      pidsStats: { current: s.pids.current, limit: String(s.pids.limit) },
      hugetlbStats: {},
    },
    networkStats: [],
  };
}
