/**
 * A pod's network, kata-ts vs runc in the same run, through a private containerd's CRI plugin on a
 * CNI bridge (Debian's bridge + host-local, a link-local subnet of this machine): TCP throughput
 * host → pod (64 MiB into `nc -l` in the pod) and the round trip of an HTTP request host → pod
 * (a new connection each, as a readiness probe makes, to busybox httpd). Needs root and the guest
 * image (tools/build-guest-image). Run: npx tsx bench/pod-network.bench.ts [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerConfig, podSandboxConfig } from '@kata-ts/cri-client';
import { BUSYBOX_IMAGE, installKata, startContainerd, unmountUnder, type CriContainerd } from '@kata-ts/testing';
import { printBenchResult, type BenchFigure } from './bench-result';

const SAMPLES = 5;
const REQUESTS = 30;
const MIB = 1024 * 1024;
const SEND_MIB = Number(process.env.POD_NETWORK_BENCH_MIB ?? 64);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const dir = mkdtempSync(join(tmpdir(), 'pod-network-bench-'));
// CRI pod ids are 64 hex digits: sandbox sockets need a short run dir (sun_path is 108 bytes).
const runDir = mkdtempSync('/run/ktb-');
let containerd: CriContainerd | undefined;
const cleanup = async (): Promise<void> => {
  const pods = containerd ? (await containerd.cri.client.runtime.listPodSandbox({})).items : [];
  for (const p of pods) await containerd!.cri.client.runtime.removePodSandbox({ podSandboxId: p.id }).catch(() => undefined);
  await containerd?.stop();
  containerd = undefined;
  unmountUnder(runDir);
  rmSync(runDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
};
process.once('SIGTERM', () => void cleanup().finally(() => process.exit(143)));

/** A pod on the bridge with a TCP sink on 9000 and httpd on 8080; its address. */
async function startPod(handler: string): Promise<string> {
  const client = containerd!.cri.client;
  const config = podSandboxConfig({ name: `bench-${handler}`, logDirectory: containerd!.cri.logDir, hostNetwork: false });
  const { podSandboxId } = await client.runtime.runPodSandbox({ config, runtimeHandler: handler });
  for (const [name, command] of [
    ['sink', ['sh', '-c', 'while true; do nc -l -p 9000 > /dev/null; done']],
    ['httpd', ['httpd', '-f', '-p', '8080', '-h', '/etc']],
  ] as const) {
    const c = containerConfig({ name, image: BUSYBOX_IMAGE, command: [...command], logPath: `${handler}-${name}.log` });
    const { containerId } = await client.runtime.createContainer({ podSandboxId, config: c, sandboxConfig: config });
    await client.runtime.startContainer({ containerId });
  }
  const { status } = await client.runtime.podSandboxStatus({ podSandboxId });
  return status!.network!.ip;
}

/**
 * ms from connect until the pod's sink has read `bytes` (it closes after EOF). The sink's shell loop
 * restarts `nc -l` after each connection: a refused connect is retried, not timed.
 */
async function sendOnce(ip: string, bytes: number): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await sendOnConnection(ip, bytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || attempt > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function sendOnConnection(ip: string, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(MIB);
    let t0 = 0;
    const socket = connect(9000, ip);
    socket.setTimeout(120_000, () => socket.destroy(new Error(`no progress sending to ${ip}:9000`)));
    socket.on('error', reject);
    socket.on('close', () => resolve(performance.now() - t0));
    socket.on('connect', () => {
      t0 = performance.now();
      let left = bytes / MIB;
      const pump = (): void => {
        while (left > 0) {
          left--;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
        socket.end();
      };
      pump();
    });
    socket.resume(); // the sink sends nothing; 'close' follows its FIN
  });
}

/**
 * ms for one HTTP/1.0 GET on a new connection, until the server closes it: one write, no Nagle
 * (fetch here paid a 40 ms delayed-ACK stall on both runtimes alike, hiding the network).
 */
function requestOnce(ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let response = '';
    const socket = connect({ host: ip, port: 8080, noDelay: true });
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer from ${ip}:8080`)));
    socket.on('error', reject);
    socket.on('data', (d: Buffer) => (response += d.toString()));
    socket.on('connect', () => socket.end('GET /hostname HTTP/1.0\r\n\r\n'));
    socket.on('close', () => (response.startsWith('HTTP/1.') ? resolve(performance.now() - t0) : reject(new Error(`no HTTP answer from ${ip}:8080`))));
  });
}

/** Retries until the pod's servers answer (containers just started). */
async function ready(ip: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await requestOnce(ip);
      await sendOnce(ip, MIB);
      return;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function measure(ip: string): Promise<{ mibPerSec: number; rttMs: number }> {
  await ready(ip);
  const sends: number[] = [];
  for (let i = 0; i < SAMPLES; i++) sends.push(await sendOnce(ip, SEND_MIB * MIB));
  const rtts: number[] = [];
  for (let i = 0; i < REQUESTS; i++) rtts.push(await requestOnce(ip));
  return { mibPerSec: SEND_MIB / (median(sends) / 1000), rttMs: median(rtts) };
}

try {
  process.stderr.write('pod-network: installing kata-ts, starting containerd with a CNI bridge\n');
  const install = await installKata(join(dir, 'prefix'));
  containerd = await startContainerd({ cri: { cni: true }, shimBinDir: install.binDir, kataConfigPath: install.configPath, env: { KATA_TS_RUN_DIR: runDir } });
  process.stderr.write('pod-network: runc pod\n');
  const runc = await measure(await startPod('runc'));
  process.stderr.write('pod-network: kata pod\n');
  const kata = await measure(await startPod('kata'));
  const figures: BenchFigure[] = [
    { id: 'pod-net-throughput', label: `TCP host → pod (${SEND_MIB} MiB)`, unit: 'MiB/s', subject: { name: 'kata-ts', value: kata.mibPerSec }, reference: { name: 'runc', value: runc.mibPerSec }, lowerIsBetter: false, samples: SAMPLES },
    { id: 'pod-net-request', label: 'HTTP request host → pod (new connection)', unit: 'ms', subject: { name: 'kata-ts', value: kata.rttMs }, reference: { name: 'runc', value: runc.rttMs }, lowerIsBetter: true, samples: REQUESTS },
  ];
  printBenchResult({
    bench: 'pod-network',
    figures,
    notes: ['CNI bridge + tc mirred to a tap, virtio-net without vhost (TCG cannot use vhost-net): no target is set under TCG.'],
  });
} finally {
  await cleanup();
}
