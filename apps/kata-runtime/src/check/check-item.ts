/**
 * - ok: present and working.
 * - fallback: absent, but kata-ts works without it (TCG instead of KVM, kata-proxy instead of
 *   vhost-vsock); slower, still capable.
 * - missing: kata-ts cannot run containers until it is fixed.
 */
export type CheckStatus = 'ok' | 'fallback' | 'missing';

export interface CheckItem {
  /** Stable id for machines (`--json`): cpu, kvm, vsock, qemu, kernel, initrd, image, proxy, containerd, config. */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found, or exactly what is missing and how to fix it. */
  detail: string;
}

export interface CheckReport {
  capable: boolean;
  /** Effective accelerator and agent channel when capable. */
  accelerator: 'kvm' | 'tcg' | undefined;
  /** vhost-vsock, else virtio-serial held by kata-proxy or by the shim itself. */
  agentChannel: 'vsock' | 'proxy' | 'shim' | undefined;
  config: { path: string; reason: string } | undefined;
  items: CheckItem[];
}
