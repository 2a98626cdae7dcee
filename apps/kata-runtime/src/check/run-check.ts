import type { KataConfig } from '@kata-ts/config';
import type { CheckItem, CheckReport } from './check-item';
import { containerdVersion } from './containerd-version';
import { checkCpuFlags, checkExecutable, checkQemu, checkReadableFile, pathExists } from './host-checks';
import type { KvmProbe } from './kvm-verdict';

/** Everything `check` looks at, injectable so tests can describe any host. */
export interface HostProbe {
  cpuinfoPath: string;
  kvmDevice: string;
  vhostVsockDevice: string;
  containerdAddress: string;
  probeKvm: KvmProbe;
}

export interface CheckOptions {
  host: HostProbe;
  /** The loaded configuration, or why it could not be loaded. */
  config: KataConfig | Error;
}

/** Verifies the host can run kata-ts containers; every item says what it found or what is missing. */
export async function runCheck({ host, config }: CheckOptions): Promise<CheckReport> {
  const items: CheckItem[] = [];
  const cfg = config instanceof Error ? undefined : config;
  items.push(
    cfg
      ? { id: 'config', title: 'configuration', status: 'ok', detail: `${cfg.source.path} (${cfg.source.reason})` }
      : { id: 'config', title: 'configuration', status: 'missing', detail: (config as Error).message },
  );
  items.push(checkCpuFlags(host.cpuinfoPath));

  const q = cfg?.hypervisor;
  const qemu = q ? await checkQemu(q.path) : notChecked('qemu', 'QEMU binary');
  const kernel = q ? checkReadableFile('kernel', 'guest kernel', q.kernel, 'hypervisor.qemu.kernel') : notChecked('kernel', 'guest kernel');
  const initrd = q ? checkReadableFile('initrd', 'guest initrd', q.initrd, 'hypervisor.qemu.initrd') : notChecked('initrd', 'guest initrd');
  const image = q?.image ? [checkReadableFile('image', 'guest root image', q.image, 'hypervisor.qemu.image')] : [];

  const bootable = [qemu, kernel, initrd, ...image].every((i) => i.status === 'ok');
  const kvm = await checkKvm(host, cfg, bootable);
  items.push(kvm.item);

  const vsock = pathExists(host.vhostVsockDevice);
  items.push(
    vsock
      ? { id: 'vsock', title: 'vhost-vsock', status: 'ok', detail: `${host.vhostVsockDevice} present: the agent is reached over AF_VSOCK` }
      : {
          id: 'vsock',
          title: 'vhost-vsock',
          status: 'fallback',
          detail: `no ${host.vhostVsockDevice} (modprobe vhost_vsock): the agent is reached over virtio-serial, by the shim or the kata-proxy [proxy.kata] path names`,
        },
  );
  items.push(qemu, kernel, initrd, ...image);
  // kata-proxy is optional (the shim holds the serial channel itself): checked when configured.
  if (cfg?.proxy.path) items.push(checkExecutable('proxy', 'kata-proxy', cfg.proxy.path, 'proxy.kata.path'));
  items.push(await checkContainerd(host.containerdAddress));

  const capable = items.every((i) => i.status !== 'missing');
  return {
    capable,
    accelerator: capable ? kvm.accelerator : undefined,
    agentChannel: capable ? (vsock ? 'vsock' : cfg?.proxy.path ? 'proxy' : 'shim') : undefined,
    config: cfg && { path: cfg.source.path, reason: cfg.source.reason },
    items,
  };
}

async function checkKvm(
  host: HostProbe,
  cfg: KataConfig | undefined,
  bootable: boolean,
): Promise<{ item: CheckItem; accelerator: 'kvm' | 'tcg' }> {
  const title = 'KVM';
  const forced = cfg?.hypervisor.accelerator;
  const tcg = (detail: string): { item: CheckItem; accelerator: 'tcg' } => ({
    // A config that insists on KVM cannot fall back.
    item: { id: 'kvm', title, status: forced === 'kvm' ? 'missing' : 'fallback', detail: forced === 'kvm' ? `${detail}, but hypervisor.qemu.accelerator = "kvm"` : `${detail}: QEMU uses TCG (software emulation, slower)` },
    accelerator: 'tcg',
  });
  if (forced === 'tcg') return tcg('hypervisor.qemu.accelerator = "tcg"');
  if (!pathExists(host.kvmDevice)) return tcg(`no ${host.kvmDevice} (load kvm_intel or kvm_amd)`);
  if (!cfg || !bootable) return tcg(`${host.kvmDevice} present but not tried (QEMU, kernel, initrd or image missing)`);
  const q = cfg.hypervisor;
  const verdict = await host.probeKvm({ qemuPath: q.path, kernel: q.kernel, initrd: q.initrd });
  if (!verdict.usable) return tcg(`${host.kvmDevice} present but a guest cannot run under it (${verdict.reason})`);
  return { item: { id: 'kvm', title, status: 'ok', detail: `${host.kvmDevice} runs a guest (${verdict.reason})` }, accelerator: 'kvm' };
}

async function checkContainerd(address: string): Promise<CheckItem> {
  const title = 'containerd';
  try {
    const v = await containerdVersion(address);
    return { id: 'containerd', title, status: 'ok', detail: `${address} answers: containerd ${v.version} (${v.revision})` };
  } catch (err) {
    // http2 wraps the socket error ("pending stream has been canceled"); the cause says what happened.
    const reason = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
    return {
      id: 'containerd',
      title,
      status: 'missing',
      detail: `${address} does not answer (${reason}); start containerd or pass --containerd-address`,
    };
  }
}

function notChecked(id: string, title: string): CheckItem {
  return { id, title, status: 'missing', detail: 'not checked: no usable configuration' };
}
