/** Whether a guest really runs under KVM on this host (a present /dev/kvm may not work: nested PVM). */
export interface KvmVerdict {
  usable: boolean;
  /** Why: what was tried and what happened. */
  reason: string;
}

export interface KvmProbeTarget {
  qemuPath: string;
  kernel: string;
  initrd: string;
}

/** The hypervisor library's run-time probe (it boots a guest and caches the verdict per host boot). */
export type KvmProbe = (target: KvmProbeTarget) => Promise<KvmVerdict>;
