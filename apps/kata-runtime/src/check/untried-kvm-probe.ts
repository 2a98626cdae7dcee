import type { KvmProbe } from './kvm-verdict';

/**
 * Stand-in until @kata-ts/hypervisor exports its cached run-time verdict: without booting a guest a
 * present /dev/kvm proves nothing (nested PVM hosts), so the honest answer is "not proven: TCG".
 */
export const untriedKvmProbe: KvmProbe = async () => ({
  usable: false,
  reason: 'the run-time KVM probe of @kata-ts/hypervisor is not available in this build',
});
