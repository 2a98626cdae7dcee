import type { KvmVerdict } from '@kata-ts/hypervisor';

export type { KvmVerdict };

export interface KvmProbeTarget {
  qemuPath: string;
  kernel: string;
  initrd: string;
}

/** Whether a guest really runs under KVM here (@kata-ts/hypervisor's probeKvm boots one; cached per host boot). */
export type KvmProbe = (target: KvmProbeTarget) => Promise<KvmVerdict>;
