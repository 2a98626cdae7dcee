export type { Hypervisor, HypervisorCapabilities, VmExit } from './hypervisor';
export { TEMPLATE_MEMORY_FILE, TEMPLATE_STATE_FILE, type AcceleratorKind, type MachineType, type NetworkInterface, type SharedDir, type VmConfig, type VmTemplate } from './vm-config';
export { HypervisorError, type HypervisorErrorCode } from './hypervisor-error';
export { guestCpuModel, guestKernelParams, rootImageKernelParams } from './guest-boot';
export { probeKvm, selectAccelerator, type AcceleratorChoice, type KvmProbeOptions, type KvmVerdict } from './accelerator';
export { createHypervisor } from './create-hypervisor';
export { QemuHypervisor, type QemuOptions } from './qemu/qemu-hypervisor';
export { QmpClient, type QmpEvent } from './qemu/qmp-client';
export { DEFAULT_QEMU_PATH, DEFAULT_TCG_TRANSLATION_CACHE_MIB, qemuCommandLine } from './qemu/command-line';
