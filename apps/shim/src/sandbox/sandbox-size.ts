import type { QemuConfig } from '@kata-ts/config';
import type { OciSpec } from '@kata-ts/oci';

const MIB = 1024 * 1024;

/**
 * Static sizing, as Kata's static_sandbox_resource_mgmt: the configured defaults plus what the
 * sandbox container's limits ask for (CPU quota/period rounded up, memory limit in MiB), so the
 * workload gets its limit on top of the guest's own needs.
 */
export function sandboxSize(q: QemuConfig, spec: OciSpec): { vcpus: number; memoryMiB: number } {
  const cpu = spec.linux?.resources?.cpu;
  const extraCpus = cpu?.quota && cpu.quota > 0 && cpu.period ? Math.ceil(cpu.quota / cpu.period) : 0;
  const limit = spec.linux?.resources?.memory?.limit;
  const extraMiB = limit && limit > 0 ? Math.ceil(limit / MIB) : 0;
  let vcpus = q.defaultVcpus + extraCpus;
  if (q.defaultMaxVcpus > 0) vcpus = Math.min(vcpus, q.defaultMaxVcpus);
  return { vcpus, memoryMiB: q.defaultMemory + extraMiB };
}
