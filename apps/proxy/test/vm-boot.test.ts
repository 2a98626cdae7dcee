// The real path: the guest image (build/guest) booted by @kata-ts/testing's bootGuest as the shim
// boots it, the real kata-proxy on QEMU's virtio-serial chardev, and connectAgent on the proxy's
// hybrid-vsock socket (the shim's way in) until grpc.Health/Check answers from the real agent.
// Dials as early as possible: right after QEMU starts, and right after a proxy restart (the guest
// then reads EOF and reopens its port: the window where host bytes are lost).
//   KATA_PROXY_VM_BOOTS (default 3) and KATA_PROXY_VM_RESTARTS (default 5) give more by hand.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent } from '@kata-ts/agent-client';
import { createLogger } from '@kata-ts/logging';
import { bootGuest, GUEST_IMAGE, type BootedGuest } from '@kata-ts/testing';
import { assertBundle, exited, killProxy, spawnProxy } from './proxy-process';

const BOOTS = Number(process.env.KATA_PROXY_VM_BOOTS ?? 3);
const RESTARTS = Number(process.env.KATA_PROXY_VM_RESTARTS ?? 5);
const log = createLogger({ name: 'vm-boot-test', level: 'warn' });

let guest: BootedGuest | undefined;
let proxy: ChildProcess | undefined;

beforeAll(() => {
  assertBundle();
  expect(existsSync(GUEST_IMAGE.initrd), `${GUEST_IMAGE.initrd} is missing: run tools/build-guest-image`).toBe(true);
});

afterEach(async () => {
  await killProxy(proxy);
  proxy = undefined;
  await guest?.destroy();
  guest = undefined;
});

function paths(g: BootedGuest) {
  return { listen: join(g.dir, 'kata.hvsock'), log: join(g.dir, 'proxy.log') };
}

async function bootVm(): Promise<BootedGuest> {
  guest = await bootGuest();
  return guest;
}

/** kata-proxy on QEMU's end of the agent's virtio-serial port, as the shim starts it. */
async function startProxy(g: BootedGuest): Promise<void> {
  const channel = g.vm.agentChannel();
  if (channel.kind !== 'serial') throw new Error(`kata-proxy serves a serial channel, not ${channel.kind}`);
  const started = spawnProxy(['--channel', channel.socketPath, '--listen', paths(g).listen, '--log', paths(g).log]);
  proxy = started.child;
  expect(await started.ready).toBe('ready\n');
}

/** The shim's way in: connectAgent on kata-proxy's hybrid-vsock socket (retried while the agent boots) until Health says SERVING. */
async function checkHealth(g: BootedGuest): Promise<number> {
  const t0 = performance.now();
  const agent = await connectAgent({ kind: 'hybrid-vsock', socketPath: paths(g).listen, port: g.vm.agentChannel().port }, { timeoutMs: 60_000, log });
  await agent.close();
  return performance.now() - t0;
}

function proxyLog(g: BootedGuest): string {
  return readFileSync(paths(g).log, 'utf8');
}

describe('kata-proxy with the real guest image', () => {
  for (let boot = 1; boot <= BOOTS; boot++) {
    it(`boot ${boot}/${BOOTS}: dialing right after QEMU starts reaches the agent`, async () => {
      const g = await bootVm();
      await startProxy(g);
      const ms = await checkHealth(g);
      const ready = /"pings":(\d+),"ms":(\d+),"msg":"guest answered: channel ready"/.exec(proxyLog(g));
      expect(ready, 'the proxy logs when the guest answered').not.toBeNull();
      console.log(
        `boot ${boot} (${g.vm.config?.accelerator}): QEMU start -> Health SERVING through kata-proxy in ${(ms / 1000).toFixed(2)} s ` +
          `(the guest answered ping ${ready?.[1]} of the proxy, ${ready?.[2]} ms after it connected)`,
      );
    }, 120_000);
  }

  it(`answers Health after each of ${RESTARTS} proxy restarts, while the guest reopens its port`, async () => {
    const g = await bootVm();
    await startProxy(g);
    await checkHealth(g);
    const bootLog = proxyLog(g).length;
    const times: string[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      const child = proxy as ChildProcess;
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
      // A different phase of the guest's EOF -> close -> 100 ms -> reopen cycle each time.
      await sleep((i * 37) % 150);
      await startProxy(g);
      times.push(((await checkHealth(g)) / 1000).toFixed(2));
    }
    // A CONNECT closed without OK is one the dialer had to retry (the old proxy lost them to the race).
    const retried = proxyLog(g).slice(bootLog).split('\n').filter((line) => /guest (did not accept|refused) the port/.test(line));
    console.log(`Health after a proxy restart (s): ${times.join(' ')}; CONNECTs closed without OK: ${retried.length}`);
    for (const line of retried) console.log(`  ${line.slice(0, 400)}`);
    expect(times).toHaveLength(RESTARTS);
  }, 300_000);
});
