import type { CheckReport, CheckStatus } from './check-item';

export const CAPABLE_MESSAGE = 'System is capable of running kata-ts containers';
export const NOT_CAPABLE_MESSAGE = 'System is not capable of running kata-ts containers';

const LABEL: Record<CheckStatus, string> = { ok: 'ok      ', fallback: 'fallback', missing: 'MISSING ' };

/**
 * Human output: fallbacks and problems always, every item with `verbose`; the verdict last, as
 * Kata's `kata-runtime check` ends with "System is capable of running Kata Containers".
 */
export function formatCheckReport(report: CheckReport, verbose: boolean): string {
  const lines: string[] = [];
  for (const item of report.items) {
    if (item.status === 'ok' && !verbose) continue;
    lines.push(`${LABEL[item.status]} ${item.title}: ${item.detail}`);
  }
  if (report.capable) {
    const accel = report.accelerator === 'kvm' ? 'QEMU with KVM' : 'QEMU with TCG (no usable KVM: slower)';
    const channel = { vsock: 'vhost-vsock', proxy: 'virtio-serial through kata-proxy (hybrid vsock)', shim: 'virtio-serial held by the shim (hybrid vsock)' }[report.agentChannel!];
    lines.push(CAPABLE_MESSAGE, `Hypervisor: ${accel}`, `Agent channel: ${channel}`);
  } else {
    const missing = report.items.filter((i) => i.status === 'missing').length;
    lines.push(`${NOT_CAPABLE_MESSAGE}: ${missing} requirement(s) missing`);
  }
  return `${lines.join('\n')}\n`;
}
