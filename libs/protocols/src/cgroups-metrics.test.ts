import { describe, expect, it } from 'vitest';
import { cgroupsV1, cgroupsV2, packAny, task, unpackAny } from './index';
import { wire } from './testing/wire-bytes';

describe('cgroup metrics carried in StatsResponse', () => {
  it('packs v2 Metrics under the type name ctr decodes, with hand-computed field numbers', () => {
    const metrics = cgroupsV2.Metrics.fromPartial({
      pids: { current: 3, limit: '0' },
      cpu: { usageUsec: 200 },
      memory: { usage: 5, usageLimit: '18446744073709551615' },
      memoryEvents: { oomKill: 1 },
    });
    const any = packAny(cgroupsV2.Metrics, metrics);
    expect(any.typeUrl).toBe('io.containerd.cgroups.v2.Metrics');
    // prettier-ignore
    expect([...any.value]).toEqual(wire(
      0x0a, 2, 0x08, 3,                        // 1 pids {1 current}
      0x12, 3, 0x08, 0xc8, 0x01,               // 2 cpu {1 usage_usec 200}
      0x22, 15, 0x80, 0x02, 5,                 // 4 memory {32 usage}
      0x88, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, //   33 usage_limit 2^64-1
      0x42, 2, 0x28, 1,                        // 8 memory_events {5 oom_kill}
    ));
    const stats = task.StatsResponse.decode(task.StatsResponse.encode({ stats: any }).finish());
    expect(unpackAny(stats.stats!)).toEqual({ typeName: 'io.containerd.cgroups.v2.Metrics', message: metrics });
  });

  it('packs v1 Metrics with memory_oom_control at field 9', () => {
    const any = packAny(cgroupsV1.Metrics, cgroupsV1.Metrics.fromPartial({ pids: { current: 1 }, memoryOomControl: { oomKill: 2 } }));
    expect(any.typeUrl).toBe('io.containerd.cgroups.v1.Metrics');
    expect([...any.value]).toEqual(wire(0x12, 2, 0x08, 1, 0x4a, 2, 0x18, 2));
  });
});
