/**
 * Host memory per pod, kata-ts vs runc in the same run, through a private containerd's CRI plugin
 * on a CNI bridge: N pods of each handler (one busybox `sleep` each, cold boot, the installed
 * default configuration), a settle, then for each host process of a pod its RSS and PSS from
 * /proc/<pid>/smaps_rollup (kata: QEMU, the shim, kata-proxy if configured; runc: its shim, pause, sleep), the
 * pod's total, the guest's own view (/proc/meminfo read in the container), the kata pod's PSS
 * with 1 pod vs N, and the floor: a bare QEMU with the same guest (no containerd, no shim).
 * Variants (DENSITY_BENCH_VARIANTS, comma-separated): `ksm` turns the host's KSM on over the
 * running kata pods (restored after), `template` repeats the kata pods from a VM template.
 * Needs root and the guest image (tools/build-guest-image). KATA_TS_PREFIX measures an existing
 * install (e.g. one made from an older commit) instead of building this checkout.
 *
 *   DENSITY_BENCH_PODS=10 DENSITY_BENCH_VARIANTS=ksm,template npx tsx bench/density.bench.ts [--json]
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { containerConfig, podSandboxConfig } from '@kata-ts/cri-client';
import { loadConfigFile } from '@kata-ts/config';
import { selectAccelerator } from '@kata-ts/hypervisor';
import { BUSYBOX_IMAGE, bootGuest, installKata, startContainerd, type CriContainerd, type KataInstall } from '@kata-ts/testing';
import { printBenchResult, type BenchFigure } from './bench-result';

// 4 by default: 10 kata pods booting under TCG on this shared 2-core host take ~8 minutes alone.
const PODS = Number(process.env.DENSITY_BENCH_PODS ?? 4);
const SETTLE_MS = Number(process.env.DENSITY_BENCH_SETTLE_SECONDS ?? 10) * 1000;
const VARIANTS = new Set((process.env.DENSITY_BENCH_VARIANTS ?? '').split(',').filter(Boolean));
const KSM = '/sys/kernel/mm/ksm';
/** A kata pod boots a VM under TCG on a shared host: more than the client's default minute. */
const SLOW = { timeoutMs: 300_000 };

const dir = mkdtempSync(join(tmpdir(), 'density-bench-'));
// Short: QEMU's sockets live under it, and a unix socket path must fit in 108 bytes.
const runDir = mkdtempSync('/tmp/dn-');
let containerd: CriContainerd | undefined;
let ksmWas: string | undefined;

async function stopContainerd(): Promise<void> {
  const pods = containerd ? (await containerd.cri.client.runtime.listPodSandbox({})).items : [];
  for (const p of pods) {
    await containerd!.cri.client.runtime.stopPodSandbox({ podSandboxId: p.id }).catch(() => undefined);
    await containerd!.cri.client.runtime.removePodSandbox({ podSandboxId: p.id }).catch(() => undefined);
  }
  await containerd?.stop();
  containerd = undefined;
}
const cleanup = async (): Promise<void> => {
  if (ksmWas !== undefined) writeFileSync(`${KSM}/run`, ksmWas);
  await stopContainerd();
  rmSync(dir, { recursive: true, force: true });
  rmSync(runDir, { recursive: true, force: true });
};
process.once('SIGTERM', () => void cleanup().finally(() => process.exit(143)));

interface Mem {
  rss: number;
  pss: number;
}
const ZERO: Mem = { rss: 0, pss: 0 };
const add = (a: Mem, b: Mem): Mem => ({ rss: a.rss + b.rss, pss: a.pss + b.pss });
const scale = (a: Mem, k: number): Mem => ({ rss: a.rss * k, pss: a.pss * k });

/** RSS and PSS in MiB from smaps_rollup (PSS: a page shared by n processes counts 1/n). */
function memOf(pid: number): Mem {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { rss: kb('Rss') / 1024, pss: kb('Pss') / 1024 };
}
const parentOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);

/** One pod: its host processes by kind, and its container. */
interface Pod {
  id: string;
  containerId: string;
  pids: Record<string, number>;
}

async function startPod(handler: string, i: number): Promise<Pod> {
  const client = containerd!.cri.client;
  const config = podSandboxConfig({ name: `density-${handler}-${i}`, logDirectory: containerd!.cri.logDir, hostNetwork: false });
  const { podSandboxId } = await client.runtime.runPodSandbox({ config, runtimeHandler: handler }, SLOW);
  const c = containerConfig({ name: 'sleep', image: BUSYBOX_IMAGE, command: ['sleep', '3600'], logPath: `${handler}-${i}.log` });
  const { containerId } = await client.runtime.createContainer({ podSandboxId, config: c, sandboxConfig: config }, SLOW);
  await client.runtime.startContainer({ containerId }, SLOW);
  if (handler === 'kata') {
    const s = JSON.parse(readFileSync(join(runDir, `sandboxes/${podSandboxId}/state.json`), 'utf8')) as { shimPid: number; proxyPid: number; vmPid: number };
    // kata-proxy only where the configuration runs one (the shipped one has the shim hold the channel).
    const pids: Record<string, number> = { qemu: s.vmPid, 'containerd-shim-kata-v2': s.shimPid };
    if (s.proxyPid) pids['kata-proxy'] = s.proxyPid;
    return { id: podSandboxId, containerId, pids };
  }
  const infoPid = (info: Record<string, string>): number => (JSON.parse(info.info ?? '{}') as { pid: number }).pid;
  const pause = infoPid((await client.runtime.podSandboxStatus({ podSandboxId, verbose: true })).info);
  const sleeper = infoPid((await client.runtime.containerStatus({ containerId, verbose: true })).info);
  return { id: podSandboxId, containerId, pids: { 'containerd-shim-runc-v2': parentOf(sleeper), pause, sleep: sleeper } };
}

/** Average memory of each process kind over the pods, and of a whole pod. */
function measure(pods: Pod[]): { kinds: Record<string, Mem>; pod: Mem } {
  const kinds: Record<string, Mem> = {};
  for (const pod of pods) for (const [kind, pid] of Object.entries(pod.pids)) kinds[kind] = add(kinds[kind] ?? ZERO, scale(memOf(pid), 1 / pods.length));
  return { kinds, pod: Object.values(kinds).reduce(add, ZERO) };
}

/** The guest's MemTotal and used (MemTotal − MemAvailable) in MiB, averaged over the pods, as a container in it reads them. */
async function guestView(pods: Pod[]): Promise<{ total: number; used: number }> {
  let total = 0;
  let used = 0;
  for (const pod of pods) {
    const r = await containerd!.cri.client.runtime.execSync({ containerId: pod.containerId, cmd: ['cat', '/proc/meminfo'], timeout: 60 });
    const text = Buffer.from(r.stdout).toString();
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    total += kb('MemTotal') / 1024 / pods.length;
    used += (kb('MemTotal') - kb('MemAvailable')) / 1024 / pods.length;
  }
  return { total, used };
}

async function startPods(handler: string, count: number, first = 0): Promise<Pod[]> {
  const pods: Pod[] = [];
  for (let i = first; i < first + count; i++) pods.push(await startPod(handler, i));
  return pods;
}

async function withContainerd(install: KataInstall, configPath: string): Promise<void> {
  containerd = await startContainerd({ cri: { cni: true }, shimBinDir: install.binDir, kataConfigPath: configPath, env: { KATA_TS_RUN_DIR: runDir } });
}

/** KSM on until it has scanned everything 4 times (a page merges once its checksum held for a scan; bounded), then the kata pods measured again. */
async function withKsm(pods: Pod[]): Promise<{ mem: Mem; sharingMiB: number; scans: number }> {
  ksmWas = readFileSync(`${KSM}/run`, 'utf8').trim();
  const pagesWas = readFileSync(`${KSM}/pages_to_scan`, 'utf8').trim();
  const scans = (): number => Number(readFileSync(`${KSM}/full_scans`, 'utf8'));
  writeFileSync(`${KSM}/pages_to_scan`, '5000');
  writeFileSync(`${KSM}/run`, '1');
  const start = scans();
  for (let waited = 0; scans() < start + 4 && waited < 240_000; waited += 1000) await sleep(1000);
  const mem = measure(pods).pod;
  const sharingMiB = (Number(readFileSync(`${KSM}/pages_sharing`, 'utf8')) * 4) / 1024;
  const done = scans() - start;
  writeFileSync(`${KSM}/run`, ksmWas);
  writeFileSync(`${KSM}/pages_to_scan`, pagesWas);
  ksmWas = undefined;
  return { mem, sharingMiB, scans: done };
}

const mib = (id: string, label: string, kata: number, ref?: { name: string; value: number }, name = 'kata-ts'): BenchFigure => ({
  id,
  label,
  unit: 'MiB',
  subject: { name, value: kata },
  reference: ref,
  lowerIsBetter: true,
  samples: PODS,
});

try {
  process.stderr.write(`density: installing kata-ts, starting containerd with a CNI bridge (${PODS} pods per handler)\n`);
  const install = await installKata(join(dir, 'prefix'));
  const config = loadConfigFile(install.configPath);
  await withContainerd(install, install.configPath);

  process.stderr.write('density: runc pods\n');
  const runcPods = await startPods('runc', PODS);
  process.stderr.write('density: 1 kata pod\n');
  const kataPods = await startPods('kata', 1);
  await sleep(SETTLE_MS);
  const one = measure(kataPods);
  process.stderr.write(`density: ${PODS - 1} more kata pods\n`);
  kataPods.push(...(await startPods('kata', PODS - 1, 1)));
  await sleep(SETTLE_MS);
  const kata = measure(kataPods);
  const runc = measure(runcPods);
  const guest = await guestView(kataPods);
  const ksm = VARIANTS.has('ksm') ? (process.stderr.write('density: KSM on\n'), await withKsm(kataPods)) : undefined;
  await stopContainerd();

  let template: Mem | undefined;
  if (VARIANTS.has('template')) {
    process.stderr.write('density: kata pods from a VM template\n');
    const templateConfig = join(dir, 'template-configuration.toml');
    writeFileSync(
      templateConfig,
      readFileSync(install.configPath, 'utf8')
        .replace(/^enable_template = .*$/m, 'enable_template = true')
        .replace(/^template_path = .*$/m, `template_path = "${join(dir, 'templates')}"`),
    );
    await withContainerd(install, templateConfig);
    const pods = await startPods('kata', PODS);
    await sleep(SETTLE_MS);
    template = measure(pods).pod;
    await stopContainerd();
  }

  process.stderr.write('density: bare QEMU with the same guest\n');
  const q = config.hypervisor;
  const { accelerator } = await selectAccelerator(q.accelerator, { qemuPath: q.path, kernel: q.kernel, cacheDir: runDir });
  const bare = await bootGuest({ kernel: q.kernel, initrd: q.initrd, image: q.image, accelerator, memoryMiB: q.defaultMemory, vcpus: q.defaultVcpus });
  let floor: Mem;
  try {
    await (await bare.connectAgent()).close();
    await sleep(SETTLE_MS);
    floor = memOf(bare.vm.pid!);
  } finally {
    await bare.destroy();
  }

  const runcPod = { name: 'runc pod', value: runc.pod.pss };
  const figures: BenchFigure[] = [
    mib('density-pod-pss', `PSS per pod (${PODS} pods)`, kata.pod.pss, runcPod),
    mib('density-pod-rss', `RSS per pod (${PODS} pods)`, kata.pod.rss, { name: 'runc pod', value: runc.pod.rss }),
    ...Object.entries(kata.kinds).flatMap(([kind, m]) => [
      mib(`density-${kind}-pss`, `${kind} PSS`, m.pss, undefined, kind),
      mib(`density-${kind}-rss`, `${kind} RSS`, m.rss, undefined, kind),
    ]),
    ...Object.entries(runc.kinds).map(([kind, m]) => mib(`density-runc-${kind}-pss`, `${kind} PSS (runc pod)`, m.pss, undefined, kind)),
    // Both alone on the host: no page of the kernel or initrd files shared with another QEMU.
    mib('density-qemu-floor', 'QEMU PSS of the only pod vs a bare QEMU with the same guest', one.kinds.qemu!.pss, { name: 'bare QEMU', value: floor.pss }),
    mib('density-guest-used', 'guest memory used (MemTotal − MemAvailable)', guest.used, { name: 'guest MemTotal', value: guest.total }, 'guest'),
    mib('density-pod-pss-1-vs-n', `PSS per pod, ${PODS} pods vs 1`, kata.pod.pss, { name: '1 pod', value: one.pod.pss }),
  ];
  if (ksm) figures.push(mib('density-pod-pss-ksm', 'PSS per pod with KSM on', ksm.mem.pss, { name: 'KSM off', value: kata.pod.pss }));
  if (template) figures.push(mib('density-pod-pss-template', 'PSS per pod from a VM template', template.pss, { name: 'cold boot', value: kata.pod.pss }));
  printBenchResult({
    bench: 'density',
    figures,
    notes: [
      `accelerator: ${accelerator}; guest: ${q.defaultVcpus} vCPU, ${q.defaultMemory} MiB; ${PODS} pods per handler, ${SETTLE_MS / 1000} s settle; averages over the pods`,
      `KSM: ${ksm ? `${ksm.scans} full scans, ${Math.round(ksm.sharingMiB)} MiB of pages deduplicated host-wide` : 'not measured (DENSITY_BENCH_VARIANTS=ksm)'}; templates: ${template ? 'variant measured' : 'not measured (DENSITY_BENCH_VARIANTS=template)'}`,
    ],
  });
} finally {
  await cleanup();
}
