// The real path: the guest image (build/guest) booted by @kata-ts/hypervisor as the shim boots it,
// the real kata-proxy on QEMU's virtio-serial chardev, the shim's hvsock dialer, and
// grpc.Health/Check over ttrpc to the real agent. Dials as early as possible: right after QEMU
// starts, and right after a proxy restart (the guest then reads EOF and reopens its port: the
// window where host bytes are lost).
//   KATA_PROXY_VM_BOOTS (default 3) and KATA_PROXY_VM_RESTARTS (default 5) give more by hand.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeKvm, QemuHypervisor, type AcceleratorKind } from '@kata-ts/hypervisor';
import { health } from '@kata-ts/protocols';
import { Client, createClient } from '@kata-ts/ttrpc';
import { createDialer } from '@kata-ts/agent-transport';
import { assertBundle, exited, killProxy, spawnProxy } from './proxy-process';

const guestDir = join(import.meta.dirname, '../../../build/guest');
const kernel = join(guestDir, 'vmlinux.container');
const initrd = join(guestDir, 'kata-containers-initrd.img');
const BOOTS = Number(process.env.KATA_PROXY_VM_BOOTS ?? 3);
const RESTARTS = Number(process.env.KATA_PROXY_VM_RESTARTS ?? 5);

let accelerator: AcceleratorKind;
let dir: string | undefined;
let vm: QemuHypervisor | undefined;
let proxy: ChildProcess | undefined;

beforeAll(async () => {
  assertBundle();
  expect(existsSync(initrd), `${initrd} is missing: run tools/build-guest-image`).toBe(true);
  accelerator = (await probeKvm({ kernel })).usable ? 'kvm' : 'tcg';
}, 60_000);

afterEach(async () => {
  await killProxy(proxy);
  proxy = undefined;
  await vm?.stop({ timeoutMs: 3000 }).catch(() => {});
  vm = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function paths(d: string) {
  return { chardev: join(d, 'agent.sock'), listen: join(d, 'kata.hvsock'), log: join(d, 'proxy.log') };
}

async function bootVm(): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), 'proxy-vm-'));
  vm = new QemuHypervisor();
  await vm.start({
    id: 'proxy-vm',
    kernel,
    initrd,
    accelerator,
    vcpus: 1,
    memoryMiB: 512,
    agentSocket: paths(dir).chardev,
    qmpSocket: join(dir, 'qmp.sock'),
    consoleLog: join(dir, 'console.log'),
  });
  return dir;
}

async function startProxy(d: string): Promise<void> {
  const { chardev, listen, log } = paths(d);
  const started = spawnProxy(['--channel', chardev, '--listen', listen, '--log', log]);
  proxy = started.child;
  expect(await started.ready).toBe('ready\n');
}

/** The shim's way in: hvsock dial (retries while the agent boots), then grpc.Health/Check. */
async function checkHealth(d: string): Promise<number> {
  const t0 = performance.now();
  const stream = await createDialer(`hvsock://${paths(d).listen}:1024`, { timeoutMs: 60_000 }).dial();
  const client = new Client(stream);
  try {
    const reply = await createClient(health.HealthDefinition, client).check({ service: '' }, { signal: AbortSignal.timeout(10_000) });
    expect(reply.status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
  } finally {
    await client.close().catch(() => {});
  }
  return performance.now() - t0;
}

function proxyLog(d: string): string {
  return readFileSync(paths(d).log, 'utf8');
}

describe('kata-proxy with the real guest image', () => {
  for (let boot = 1; boot <= BOOTS; boot++) {
    it(`boot ${boot}/${BOOTS}: dialing right after QEMU starts reaches the agent`, async () => {
      const d = await bootVm();
      await startProxy(d);
      const ms = await checkHealth(d);
      const ready = /"pings":(\d+),"ms":(\d+),"msg":"guest answered: channel ready"/.exec(proxyLog(d));
      expect(ready, 'the proxy logs when the guest answered').not.toBeNull();
      console.log(
        `boot ${boot} (${accelerator}): QEMU start -> Health SERVING through kata-proxy in ${(ms / 1000).toFixed(2)} s ` +
          `(the guest answered ping ${ready?.[1]} of the proxy, ${ready?.[2]} ms after it connected)`,
      );
    }, 120_000);
  }

  it(`answers Health after each of ${RESTARTS} proxy restarts, while the guest reopens its port`, async () => {
    const d = await bootVm();
    await startProxy(d);
    await checkHealth(d);
    const bootLog = proxyLog(d).length;
    const times: string[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      const child = proxy as ChildProcess;
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
      // A different phase of the guest's EOF -> close -> 100 ms -> reopen cycle each time.
      await sleep((i * 37) % 150);
      await startProxy(d);
      times.push(((await checkHealth(d)) / 1000).toFixed(2));
    }
    // A CONNECT closed without OK is one the dialer had to retry (the old proxy lost them to the race).
    const retried = proxyLog(d).slice(bootLog).split('\n').filter((line) => /guest (did not accept|refused) the port/.test(line));
    console.log(`Health after a proxy restart (s): ${times.join(' ')}; CONNECTs closed without OK: ${retried.length}`);
    for (const line of retried) console.log(`  ${line.slice(0, 400)}`);
    expect(times).toHaveLength(RESTARTS);
  }, 300_000);
});
