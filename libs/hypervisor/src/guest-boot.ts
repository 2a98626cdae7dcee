import type { AcceleratorKind } from './vm-config';

/**
 * The kernel command line every kata-ts VM boots with: the shim and the boot check use this one
 * list, so what is measured is what runs. Chosen for boot time under TCG, where every probe and
 * self-test is emulated: no console chatter (`quiet`), no CPU-bug mitigations or crypto
 * self-tests, no legacy keyboard probing, no LSMs, trust RDRAND so getrandom() never blocks
 * Node, reboot on panic (QEMU runs with -no-reboot, so a panicking guest exits), and PCI
 * interrupts routed without ACPI; and for host memory: no swiotlb buffer, hot-plugged RAM onlined by the kernel.
 */
export function guestKernelParams(options: { debug?: boolean } = {}): string[] {
  return [
    'console=ttyS0',
    options.debug ? 'agent.log=debug' : 'quiet',
    'panic=-1',
    'mitigations=off',
    'random.trust_cpu=on',
    'cryptomgr.notests',
    'tsc=reliable',
    'no_timer_check',
    'i8042.noaux',
    'i8042.nomux',
    'i8042.nopnp',
    'audit=0',
    'apparmor=0',
    'security=',
    'cgroup_no_v1=all',
    'systemd.unified_cgroup_hierarchy=1',
    // PCI interrupts from the BIOS's routing table, not ACPI's interrupt-link methods: the AML
    // interpreter ran ~120 ms per virtio PCI device under TCG (kata-init's module loading
    // 0.80 -> 0.44 s, agent ready ~0.3 s sooner). ACPI itself stays (nvdimm, memory hot-plug).
    'acpi=noirq',
    // No swiotlb bounce buffer: virtio devices (without ACCESS_PLATFORM) bypass the DMA API, so
    // nothing bounces, and the kernel zeroes the 64 MiB buffer at boot: 64 MiB of host memory per
    // VM (a bare guest's QEMU: 461 -> 397 MiB PSS).
    'swiotlb=noforce',
    // Hot-plugged RAM is usable at once: the kernel onlines it (no udev in the guest to do it).
    'memhp_default_state=online',
  ];
}

/**
 * The CPU model: the host's under KVM; under TCG `max`, whose emulated RDRAND seeds the guest's
 * random pool at once (with the default qemu64 model Node's first getrandom() waits ~1 s).
 */
export function guestCpuModel(accelerator: AcceleratorKind): string {
  return accelerator === 'kvm' ? 'host' : 'max';
}

/** What kata-init reads to mount the guest's root from the DAX nvdimm (VmConfig.image). */
export function rootImageKernelParams(): string[] {
  return ['root=/dev/pmem0', 'rootfstype=ext4', 'rootflags=dax', 'ro'];
}

/**
 * The unit x86-64 Linux adds and onlines RAM in (its memory block, below 64 GiB of RAM): a DIMM
 * of another size would leave a part the guest cannot use.
 */
export const GUEST_MEMORY_BLOCK_MIB = 128;
