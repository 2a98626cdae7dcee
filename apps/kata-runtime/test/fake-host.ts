import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Http2Server } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, type KataConfig } from '@kata-ts/config';
import type { HostProbe } from '../src/check/run-check';
import type { KvmVerdict } from '../src/check/kvm-verdict';
import { startFakeContainerd } from './fake-containerd';

export interface FakeHostSpec {
  cpuFlags: string[];
  kvmDevice: boolean;
  vhostVsock: boolean;
  kvmVerdict: KvmVerdict;
  containerd: boolean;
  /** Omit a file from the configured set to see it reported missing. */
  omit?: Array<'qemu' | 'kernel' | 'initrd' | 'image' | 'proxy'>;
  /** `[proxy.kata] path`; default: the fake kata-proxy. */
  proxyPath?: string;
  /** Configure a root image (hypervisor.qemu.image), as the installed configuration does. */
  image?: boolean;
  /** Extra [agent.kata] / [hypervisor.qemu] TOML lines. */
  qemuExtra?: string;
  agentExtra?: string;
}

export interface FakeHost {
  dir: string;
  host: HostProbe;
  configPath: string;
  config: () => KataConfig;
  probeCalls: number;
  close: () => Promise<void>;
}

/** A host described entirely by files in a temp dir, plus a fake containerd socket. */
export async function createFakeHost(spec: FakeHostSpec): Promise<FakeHost> {
  const dir = mkdtempSync(join(tmpdir(), 'kata-runtime-check-'));
  const p = (name: string): string => join(dir, name);
  writeFileSync(p('cpuinfo'), `processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu lm sse4_1 ${spec.cpuFlags.join(' ')}\n\n`);
  if (spec.kvmDevice) writeFileSync(p('kvm'), '');
  if (spec.vhostVsock) writeFileSync(p('vhost-vsock'), '');
  const omit = new Set(spec.omit ?? []);
  if (!omit.has('qemu')) writeExecutable(p('qemu-system-x86_64'), 'echo "QEMU emulator version 7.2.0 (fake)"; echo "Copyright (c) 2003-2022"');
  if (!omit.has('proxy')) writeExecutable(p('kata-proxy'), 'exit 0');
  if (!omit.has('kernel')) writeFileSync(p('vmlinuz'), 'kernel');
  if (!omit.has('initrd')) writeFileSync(p('initrd.img'), 'initrd');
  if (spec.image && !omit.has('image')) writeFileSync(p('root.img'), 'image');
  const configPath = p('configuration.toml');
  writeFileSync(
    configPath,
    [
      '[hypervisor.qemu]',
      `path = "${p('qemu-system-x86_64')}"`,
      `kernel = "${p('vmlinuz')}"`,
      `initrd = "${p('initrd.img')}"`,
      spec.image ? `image = "${p('root.img')}"` : '',
      'shared_fs = "virtio-9p"',
      spec.qemuExtra ?? '',
      '[proxy.kata]',
      `path = "${spec.proxyPath ?? p('kata-proxy')}"`,
      '[agent.kata]',
      spec.agentExtra ?? '',
      '',
    ].join('\n'),
  );
  let server: Http2Server | undefined;
  if (spec.containerd) server = await startFakeContainerd(p('containerd.sock'));
  const fake: FakeHost = {
    dir,
    configPath,
    config: () => loadConfigFile(configPath, 'test', false),
    probeCalls: 0,
    host: {
      cpuinfoPath: p('cpuinfo'),
      kvmDevice: p('kvm'),
      vhostVsockDevice: p('vhost-vsock'),
      containerdAddress: p('containerd.sock'),
      probeKvm: async () => {
        fake.probeCalls++;
        return spec.kvmVerdict;
      },
    },
    close: async () => {
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fake;
}

function writeExecutable(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}
