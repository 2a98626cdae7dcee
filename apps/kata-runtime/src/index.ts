export { runCheck, type CheckOptions, type HostProbe } from './check/run-check';
export type { CheckItem, CheckReport, CheckStatus } from './check/check-item';
export type { KvmProbe, KvmProbeTarget, KvmVerdict } from './check/kvm-verdict';
export { CAPABLE_MESSAGE, NOT_CAPABLE_MESSAGE, formatCheckReport } from './check/format-check-report';
export { containerdVersion, DEFAULT_CONTAINERD_ADDRESS, type ContainerdVersion } from './check/containerd-version';
export { defaultRunDir } from './exec/shim-state-locator';
export { versionInfo, OCI_SPEC_VERSION, type VersionInfo } from './version-info';
