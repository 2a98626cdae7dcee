/**
 * Confirms the virtio-serial reopen race on a real VM: boots the guest image, then opens fresh
 * connections to QEMU's chardev (as a restarted kata-proxy or a retrying boot check does) and
 * sends one yamux Ping at once. A ping never answered on a fresh connection is host bytes the
 * guest ate while it reopened its port.
 *
 *   npx tsx apps/proxy/scripts/serial-race-probe.ts [trials]
 */
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QemuHypervisor } from '@kata-ts/hypervisor';
import { Session } from '@kata-ts/mux';

const repo = join(import.meta.dirname, '../../..');
const trials = Number(process.argv[2] ?? 40);
const dir = mkdtempSync(join(tmpdir(), 'race-probe-'));
const vm = new QemuHypervisor();
const agentSocket = join(dir, 'agent.sock');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** The first ping's RTT (undefined: lost) and, when it was lost, whether a second ping on the same connection is answered. */
async function pingOnce(timeoutMs: number): Promise<{ rtt?: number; recovered?: boolean }> {
  const socket = connect(agentSocket);
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const session = new Session(socket, { role: 'client', keepAliveIntervalMs: false, pingTimeoutMs: timeoutMs });
  session.on('error', () => {});
  try {
    return { rtt: await session.ping() };
  } catch {
    const recovered = await session.ping().then(() => true, () => false);
    return { recovered };
  } finally {
    session.destroy();
    socket.destroy();
  }
}

try {
  await vm.start({
    id: 'race-probe', kernel: join(repo, 'build/guest/vmlinux.container'), initrd: join(repo, 'build/guest/kata-containers-initrd.img'),
    accelerator: 'tcg', vcpus: 1, memoryMiB: 512, agentSocket, qmpSocket: join(dir, 'qmp.sock'), consoleLog: join(dir, 'console.log'),
  });
  // Wait until the agent answers at all (on a connection kept open: no reopen cycle yet).
  const t0 = performance.now();
  while ((await pingOnce(2000)).rtt === undefined) await sleep(100);
  console.log(`agent answered a ping ${((performance.now() - t0) / 1000).toFixed(1)} s after QEMU start`);
  let lost = 0;
  let recovered = 0;
  for (let i = 0; i < trials; i++) {
    // Reconnect at a different phase of the guest's reopen cycle each time (0..150 ms after leaving).
    await sleep((i * 37) % 150);
    const result = await pingOnce(1500);
    if (result.rtt === undefined) lost++;
    if (result.recovered) recovered++;
  }
  console.log(`fresh connections: ${trials}, first ping lost: ${lost} (${((100 * lost) / trials).toFixed(0)}%), answered on a second ping: ${recovered}`);
} finally {
  await vm.stop({ timeoutMs: 3000 }).catch(() => {});
}
