/**
 * `ctr run --rm IMAGE ID true` through a private containerd: runc vs kata-ts, booting and resuming
 * from a VM template ([factory] enable_template) (install from
 * tools/install.sh into a temp prefix), the bare boot of the same kernel + initrd to agent ready
 * (QEMU start → grpc.Health answers, no containerd, no shim), and the RSS of the shim
 * and QEMU while one kata-ts container runs; where a kata-ts start's time goes, phase by phase, from
 * the shim's log (report/shim-phases.ts). Needs root and the guest image (tools/build-guest-image).
 * Run: npx tsx bench/ctr-run.bench.ts [--json]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectAccelerator } from '@kata-ts/hypervisor';
import { loadConfigFile } from '@kata-ts/config';
import { bootGuest, importBusyboxImage, startContainerd, type PrivateContainerd } from '@kata-ts/testing';
import { printBenchResult, type BenchFigure } from './bench-result';
import { medianPhases, shimPhases } from './report/shim-phases';

const SAMPLES = Number(process.env.CTR_RUN_BENCH_SAMPLES ?? 3);
const repo = fileURLToPath(new URL('..', import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const dir = mkdtempSync(join(tmpdir(), 'ctr-run-bench-'));
const prefix = join(dir, 'kata');
const runDir = join(dir, 'run');
const configPath = join(prefix, 'share/defaults/kata-containers/configuration.toml');
let containerd: PrivateContainerd | undefined;
const cleanup = async (): Promise<void> => {
  await containerd?.removeContainers(['bench-rss', 'bench-rss-tpl']);
  await containerd?.stop();
  containerd = undefined;
  rmSync(dir, { recursive: true, force: true });
};
process.once('SIGTERM', () => void cleanup().finally(() => process.exit(143)));

async function ctr(args: string[], timeoutMs = 180_000): Promise<void> {
  const r = await containerd!.ctr(args, { timeoutMs });
  if (r.code !== 0) throw new Error(`ctr ${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr}\n${containerd!.logTail(20)}`);
}

/** The median ms of SAMPLES `ctr run --rm … true`, and each sample's id and ms. */
async function timeRuns(name: string, runtimeArgs: string[], image: string): Promise<{ ms: number; runs: { id: string; ms: number }[] }> {
  const runs: { id: string; ms: number }[] = [];
  for (let i = 0; i <= SAMPLES; i++) {
    const t0 = performance.now();
    await ctr(['run', ...runtimeArgs, '--rm', image, `${name}-${i}`, 'true']);
    if (i > 0) runs.push({ id: `${name}-${i}`, ms: performance.now() - t0 }); // the first run warms caches (KVM verdict, page cache)
  }
  return { ms: median(runs.map((r) => r.ms)), runs };
}

/** Where a start's time went: each phase's median over `runs`, from the shim's lines in containerd's log. */
function phaseFigures(kind: string, label: string, runs: { id: string; ms: number }[]): BenchFigure[] {
  const log = readFileSync(containerd!.logPath, 'utf8');
  return medianPhases(runs.map((r) => shimPhases(log, r.id, r.ms))).map((p) => ({
    id: `${kind}-phase-${p.name.replace(/\W+/g, '-').replace(/-$/, '').toLowerCase()}`,
    label: `${label}: ${p.name}`,
    unit: 'ms',
    subject: { name: 'kata-ts', value: p.ms },
    lowerIsBetter: true,
    samples: runs.length,
  }));
}

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
/** Proportional set size: pages shared with other processes (a template's memory) count by share. */
const pssMiB = (pid: number): number => Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) / 1024;
const vmPid = (id: string): number => (JSON.parse(readFileSync(join(runDir, `sandboxes/${id}/state.json`), 'utf8')) as { vmPid: number }).vmPid;

try {
  process.stderr.write('ctr-run: installing kata-ts, starting containerd\n');
  execFileSync(join(repo, 'tools/install.sh'), ['--prefix', prefix], { stdio: ['ignore', 'ignore', 'inherit'] });
  // info: the shim's start phases (its info lines) reach containerd's log, where phaseFigures reads them.
  containerd = await startContainerd({ dir, shimBinDir: join(prefix, 'bin'), env: { KATA_TS_RUN_DIR: runDir }, logLevel: 'info' });
  const image = await importBusyboxImage(containerd);
  const kataArgs = ['--runtime', 'io.containerd.kata.v2', '--runtime-config-path', configPath];

  process.stderr.write(`ctr-run: ${SAMPLES} runs each of runc and kata-ts\n`);
  const runcMs = (await timeRuns('runc', [], image)).ms;
  const kata = await timeRuns('kata', kataArgs, image);
  const kataMs = kata.ms;
  // The same install with VM templating on; the first (unmeasured) run makes the template.
  const templateConfig = join(dir, 'template-configuration.toml');
  writeFileSync(
    templateConfig,
    readFileSync(configPath, 'utf8').replace(/^enable_template = .*$/m, 'enable_template = true').replace(/^template_path = .*$/m, `template_path = "${join(dir, 'templates')}"`),
  );
  const templateArgs = ['--runtime', 'io.containerd.kata.v2', '--runtime-config-path', templateConfig];
  process.stderr.write(`ctr-run: ${SAMPLES} runs of kata-ts from a VM template\n`);
  const template = await timeRuns('kata-tpl', templateArgs, image);
  const templateMs = template.ms;

  process.stderr.write('ctr-run: bare boot to agent ready\n');
  const config = loadConfigFile(configPath);
  const q = config.hypervisor;
  const { accelerator, reason } = await selectAccelerator(q.accelerator, { qemuPath: q.path, kernel: q.kernel, cacheDir: runDir });
  const boots: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const guest = await bootGuest({ kernel: q.kernel, initrd: q.initrd, image: q.image, accelerator, memoryMiB: q.defaultMemory, vcpus: q.defaultVcpus });
    try {
      const agent = await guest.connectAgent();
      boots.push(performance.now() - guest.startedAt);
      await agent.close();
    } finally {
      await guest.destroy();
    }
  }

  process.stderr.write('ctr-run: RSS of a running kata-ts container\n');
  await ctr(['run', ...kataArgs, '-d', image, 'bench-rss', 'sleep', '600']);
  const state = JSON.parse(readFileSync(join(runDir, 'sandboxes/bench-rss/state.json'), 'utf8')) as { shimPid: number; vmPid: number };
  await ctr(['run', ...templateArgs, '-d', image, 'bench-rss-tpl', 'sleep', '600']);
  const rss = { shim: rssMiB(state.shimPid), qemu: rssMiB(state.vmPid), qemuPss: pssMiB(state.vmPid), clonePss: pssMiB(vmPid('bench-rss-tpl')) };

  const figures: BenchFigure[] = [
    { id: 'ctr-run-true', label: '`ctr run --rm … true`', unit: 'ms', subject: { name: 'kata-ts', value: kataMs }, reference: { name: 'runc', value: runcMs }, lowerIsBetter: true, samples: SAMPLES },
    { id: 'ctr-run-true-template', label: '`ctr run --rm … true` from a VM template', unit: 'ms', subject: { name: 'kata-ts', value: templateMs }, reference: { name: 'runc', value: runcMs }, lowerIsBetter: true, samples: SAMPLES },
    { id: 'boot-to-agent-ready', label: 'VM start → agent ready', unit: 'ms', subject: { name: 'kata-ts', value: median(boots) }, lowerIsBetter: true, samples: SAMPLES },
    { id: 'ctr-run-overhead', label: '`ctr run` beyond the bare boot', unit: 'ms', subject: { name: 'kata-ts', value: kataMs - median(boots) }, reference: { name: 'runc', value: runcMs }, lowerIsBetter: true },
    ...phaseFigures('cold', 'cold `ctr run --rm … true`, phase', kata.runs),
    ...phaseFigures('template', '`ctr run --rm … true` from a template, phase', template.runs),
    { id: 'shim-rss', label: 'shim RSS', unit: 'MiB', subject: { name: 'containerd-shim-kata-v2', value: rss.shim }, lowerIsBetter: true },
    { id: 'qemu-rss', label: 'QEMU RSS (guest incl.)', unit: 'MiB', subject: { name: 'qemu', value: rss.qemu }, lowerIsBetter: true },
    { id: 'qemu-pss-template', label: 'QEMU PSS, VM resumed from a template vs booted', unit: 'MiB', subject: { name: 'template clone', value: rss.clonePss }, reference: { name: 'cold boot', value: rss.qemuPss }, lowerIsBetter: true },
  ];
  printBenchResult({
    bench: 'ctr-run',
    figures,
    notes: [`accelerator: ${accelerator} (${reason})`, `guest: ${q.defaultVcpus} vCPU, ${q.defaultMemory} MiB, machine ${q.machineType}`],
  });
} finally {
  await cleanup();
}
