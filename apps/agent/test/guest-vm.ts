import { execFileSync } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AGENT_PORT } from '@kata-ts/guest-contract';
import { QemuHypervisor, selectAccelerator } from '@kata-ts/hypervisor';
import { Session } from '@kata-ts/mux';
import { Client } from '@kata-ts/ttrpc';
import { connectPort } from '@kata-ts/agent-transport';
import { DIST } from './harness';

export const GUEST_DIR = fileURLToPath(new URL('../../../build/guest/', import.meta.url));
export const KERNEL = join(GUEST_DIR, 'vmlinuz.container');
export const BASE_INITRD = join(GUEST_DIR, 'kata-containers-initrd.img');
export const hasGuestImage = existsSync(KERNEL) && existsSync(BASE_INITRD) && existsSync('/usr/bin/qemu-system-x86_64');

/**
 * The guest image's initrd with this build's dist/ laid over /opt/kata-agent: the kernel
 * unpacks concatenated newc archives in order, later files replacing earlier ones, so the VM
 * runs the agent under test without rebuilding the image.
 */
export async function initrdWithThisAgent(dir: string): Promise<string> {
  const stage = join(dir, 'overlay');
  mkdirSync(join(stage, 'opt/kata-agent'), { recursive: true });
  for (const f of readdirSync(DIST)) copyFileSync(join(DIST, f), join(stage, 'opt/kata-agent', f));
  const list = ['opt', 'opt/kata-agent', ...readdirSync(DIST).map((f) => `opt/kata-agent/${f}`)].join('\n');
  const overlay = execFileSync('cpio', ['-o', '-H', 'newc', '--quiet'], { cwd: stage, input: list, maxBuffer: 64 << 20 });
  const initrd = join(dir, 'initrd.img');
  await pipeline(createReadStream(BASE_INITRD), createWriteStream(initrd));
  execFileSync('sh', ['-c', 'cat >> "$0"', initrd], { input: overlay });
  return initrd;
}

export interface GuestVm {
  vm: QemuHypervisor;
  client: Client;
  accelerator: string;
  stop(): Promise<void>;
}

/** Boots the guest with `share` as kataShared and connects to the agent over the serial channel. */
export async function bootGuest(dir: string, share: string): Promise<GuestVm> {
  const initrd = await initrdWithThisAgent(dir);
  const { accelerator } = await selectAccelerator('auto', { kernel: KERNEL });
  const vm = new QemuHypervisor();
  const agentSocket = join(dir, 'agent.sock');
  await vm.start({
    id: 'agent-vm-test',
    kernel: KERNEL,
    initrd,
    accelerator,
    vcpus: 1,
    memoryMiB: 512,
    agentSocket,
    qmpSocket: join(dir, 'qmp.sock'),
    consoleLog: join(dir, 'console.log'),
    kernelParams: ['agent.log=warn'],
    shares: [{ id: 'share0', hostPath: share, mountTag: 'kataShared' }],
  });
  const transport = connect(agentSocket);
  transport.on('error', () => {});
  const session = new Session(transport, { role: 'client', keepAliveIntervalMs: false });
  session.on('error', () => {});
  let stream;
  for (let attempt = 0; !stream; attempt++) {
    try {
      stream = await connectPort(session, AGENT_PORT, { timeoutMs: 5000 });
    } catch (error) {
      if (attempt > 60) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const client = new Client(stream);
  return {
    vm,
    client,
    accelerator,
    stop: async () => {
      await client.close().catch(() => {});
      session.destroy();
      await vm.stop({ timeoutMs: 3000 }).catch(() => {});
    },
  };
}
