import { describe, expect, it } from 'vitest';
import { agent, cgroupsV2, health, oci } from './index';
import { wire } from './testing/wire-bytes';

const U64_MAX = '18446744073709551615';

describe('Kata agent API', () => {
  it('AgentService has the Kata 3.x RPCs plus ListProcesses, under grpc.AgentService', () => {
    expect(agent.AgentServiceDefinition.fullName).toBe('grpc.AgentService');
    expect(Object.values(agent.AgentServiceDefinition.methods).map((m) => m.name)).toEqual([
      'CreateContainer', 'StartContainer', 'RemoveContainer', 'ExecProcess', 'SignalProcess', 'WaitProcess',
      'UpdateContainer', 'UpdateEphemeralMounts', 'StatsContainer', 'PauseContainer', 'ResumeContainer',
      'RemoveStaleVirtiofsShareMounts', 'GetDiagnosticData',
      'WriteStdin', 'ReadStdout', 'ReadStderr', 'CloseStdin', 'TtyWinResize',
      'UpdateInterface', 'UpdateRoutes', 'ListInterfaces', 'ListRoutes', 'AddARPNeighbors', 'GetIPTables', 'SetIPTables',
      'GetMetrics', 'MemAgentMemcgSet', 'MemAgentCompactSet',
      'CreateSandbox', 'DestroySandbox', 'OnlineCPUMem', 'ReseedRandomDev', 'GetGuestDetails', 'MemHotplugByProbe',
      'SetGuestDateTime', 'CopyFile', 'GetOOMEvent', 'AddSwap', 'AddSwapPath', 'GetVolumeStats', 'ResizeVolume',
      'SetPolicy', 'ListProcesses',
    ]);
  });

  it('Health is grpc.Health with Check and Version', () => {
    expect(health.HealthDefinition.fullName).toBe('grpc.Health');
    expect(Object.values(health.HealthDefinition.methods).map((m) => m.name)).toEqual(['Check', 'Version']);
  });

  it('encodes CreateContainerRequest to hand-computed bytes, u64 rlimit infinity included', () => {
    const request = agent.CreateContainerRequest.fromPartial({
      containerId: 'c1',
      execId: 'c1',
      storages: [{ driver: 'virtio-fs', source: 'kataShared', fstype: 'virtiofs', mountPoint: '/m' }],
      OCI: {
        Version: '1.0.2',
        Process: { Args: ['sh'], Cwd: '/', Rlimits: [{ Type: 'RLIMIT_NOFILE', Hard: U64_MAX, Soft: '1024' }] },
        Root: { Path: '/r' },
      },
      sandboxPidns: true,
    });
    const bytes = agent.CreateContainerRequest.encode(request).finish();
    // prettier-ignore
    expect([...bytes]).toEqual(wire(
      0x0a, 2, 'c1', 0x12, 2, 'c1',                  // 1 container_id, 2 exec_id
      0x2a, 37,                                      // 5 storages: Storage
      0x0a, 9, 'virtio-fs', 0x1a, 10, 'kataShared',  //   1 driver, 3 source
      0x22, 8, 'virtiofs', 0x32, 2, '/m',            //   4 fstype, 6 mount_point
      0x32, 53,                                      // 6 OCI: Spec
      0x0a, 5, '1.0.2',                              //   1 Version
      0x12, 38,                                      //   2 Process
      0x22, 2, 'sh', 0x32, 1, '/',                   //     4 Args, 6 Cwd
      0x42, 29,                                      //     8 Rlimits: POSIXRlimit
      0x0a, 13, 'RLIMIT_NOFILE',                     //       1 Type
      0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, // 2 Hard = 2^64-1
      0x18, 0x80, 0x08,                              //       3 Soft = 1024
      0x1a, 4, 0x0a, 2, '/r',                        //   3 Root {1 Path}
      0x38, 1,                                       // 7 sandbox_pidns
    ));
    expect(agent.CreateContainerRequest.decode(bytes)).toEqual(request);
  });

  it('keeps a seccomp errno oneof distinguishable from absent', () => {
    const withErrno = oci.LinuxSyscall.fromPartial({ Names: ['mkdir'], Action: 'SCMP_ACT_ERRNO', ErrnoRet: { $case: 'errnoret', value: 0 } });
    const bytes = oci.LinuxSyscall.encode(withErrno).finish();
    expect([...bytes]).toContain(0x18); // field 3 present even with value 0
    expect(oci.LinuxSyscall.decode(bytes).ErrnoRet).toEqual({ $case: 'errnoret', value: 0 });
    expect(oci.LinuxSyscall.decode(oci.LinuxSyscall.encode(oci.LinuxSyscall.fromPartial({})).finish()).ErrnoRet).toBeUndefined();
  });

  it('round-trips "no limit" sentinels above 2^53 as strings', () => {
    const stats = agent.MemoryData.fromPartial({ usage: 4096, limit: '9223372036854771712' });
    expect(agent.MemoryData.decode(agent.MemoryData.encode(stats).finish())).toEqual({ ...stats, maxUsage: 0, failcnt: 0 });
    const v2 = cgroupsV2.MemoryStat.fromPartial({ usage: 1, usageLimit: U64_MAX, swapLimit: U64_MAX });
    expect(cgroupsV2.MemoryStat.decode(cgroupsV2.MemoryStat.encode(v2).finish()).usageLimit).toBe(U64_MAX);
  });
});
