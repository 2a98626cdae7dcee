/**
 * Soak: N sequential `ctr run --rm IMAGE ID true` with kata-ts, then M rounds of M concurrent ones,
 * through a private containerd (install from tools/install.sh into a temp prefix). Reports the
 * failures, every leak found afterwards (harness processes, mounts, FIFOs containerd made for the
 * runs, shim sockets, sandbox and task state dirs), containerd's RSS before and after, and the RSS
 * of one long-running kata-ts container's shim before and after one `ctr task exec` per
 * sequential run. The target is 0 failures and 0 leaks over 200 + 10×10.
 * Defaults are small for a shared 2-core TCG machine: SOAK_SEQUENTIAL=4, SOAK_CONCURRENT=2;
 * `--full` runs 200 sequential and 10×10 concurrent.
 * Run: npx tsx bench/soak.bench.ts [--json] [--full]
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findHarnessProcesses, importBusyboxImage, mountsUnder, startContainerd, type PrivateContainerd } from '@kata-ts/testing';
import { printBenchResult } from './bench-result';

const full = process.argv.includes('--full');
const SEQUENTIAL = full ? 200 : Number(process.env.SOAK_SEQUENTIAL ?? 4);
const CONCURRENT = full ? 10 : Number(process.env.SOAK_CONCURRENT ?? 2);
const FIFO_DIR = '/run/containerd/fifo';
const SOCKET_DIR = '/run/containerd/s';
const repo = fileURLToPath(new URL('..', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'soak-bench-'));
const prefix = join(dir, 'kata');
const runDir = join(dir, 'run');
const configPath = join(prefix, 'share/defaults/kata-containers/configuration.toml');
let containerd: PrivateContainerd | undefined;
const cleanup = async (): Promise<void> => {
  await containerd?.removeContainers(['soak-keeper']);
  await containerd?.stop();
  containerd = undefined;
  rmSync(dir, { recursive: true, force: true });
};
process.once('SIGTERM', () => void cleanup().finally(() => process.exit(143)));

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const entries = (path: string): string[] => (existsSync(path) ? readdirSync(path) : []);
const shimSocket = (id: string) => join(SOCKET_DIR, createHash('sha256').update(join(containerd!.address, containerd!.namespace, id)).digest('hex'));

try {
  process.stderr.write(`soak: installing kata-ts, starting containerd (${SEQUENTIAL} sequential, ${CONCURRENT}×${CONCURRENT} concurrent)\n`);
  execFileSync(join(repo, 'tools/install.sh'), ['--prefix', prefix], { stdio: ['ignore', 'ignore', 'inherit'] });
  containerd = await startContainerd({ dir, shimBinDir: join(prefix, 'bin'), env: { KATA_TS_RUN_DIR: runDir }, logLevel: 'info' });
  const c = containerd;
  const image = await importBusyboxImage(c);
  const kataArgs = ['run', '--runtime', 'io.containerd.kata.v2', '--runtime-config-path', configPath];
  const fifosBefore = new Set(entries(FIFO_DIR));
  const failures: string[] = [];
  const ids: string[] = [];
  const runOne = async (id: string): Promise<void> => {
    ids.push(id);
    const r = await c.ctr([...kataArgs, '--rm', image, id, 'true'], { timeoutMs: 300_000 });
    if (r.code !== 0) failures.push(`${id}: exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').pop()}`);
  };

  const keeper = await c.ctr([...kataArgs, '-d', image, 'soak-keeper', 'sleep', '100000'], { timeoutMs: 300_000 });
  if (keeper.code !== 0) throw new Error(`soak-keeper: ${keeper.stderr}`);
  const keeperShim = (JSON.parse(readFileSync(join(runDir, 'sandboxes/soak-keeper/state.json'), 'utf8')) as { shimPid: number }).shimPid;
  const containerdBefore = rssMiB(c.pid);
  const shimBefore = rssMiB(keeperShim);

  const t0 = performance.now();
  for (let i = 0; i < SEQUENTIAL; i++) {
    await runOne(`soak-seq-${i}`);
    const exec = await c.ctr(['task', 'exec', '--exec-id', `soak-exec-${i}`, 'soak-keeper', 'true'], { timeoutMs: 120_000 });
    if (exec.code !== 0) failures.push(`exec ${i}: exit ${exec.code ?? exec.signal}: ${exec.stderr.trim()}`);
  }
  const sequentialS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  for (let round = 0; round < CONCURRENT; round++) {
    await Promise.all(Array.from({ length: CONCURRENT }, (_, j) => runOne(`soak-par-${round}-${j}`)));
  }
  const concurrentS = (performance.now() - t1) / 1000;
  const containerdAfter = rssMiB(c.pid);
  const shimAfter = rssMiB(keeperShim);
  await c.removeContainers(['soak-keeper']);
  ids.push('soak-keeper');
  await new Promise((r) => setTimeout(r, 3_000)); // shims exit just after Shutdown

  const leaks = [
    ...findHarnessProcesses(dir)
      .filter((p) => p.pid !== c.pid)
      .map((p) => `process ${p.pid} ${p.comm}`),
    ...mountsUnder(dir).map((m) => `mount ${m}`),
    ...entries(FIFO_DIR)
      .filter((f) => !fifosBefore.has(f))
      .map((f) => `fifo dir ${FIFO_DIR}/${f}`),
    ...ids.map(shimSocket).filter((s) => existsSync(s)).map((s) => `socket ${s}`),
    ...entries(join(runDir, 'sandboxes')).map((s) => `sandbox state ${s}`),
    ...entries(join(dir, 'state/io.containerd.runtime.v2.task', c.namespace)).map((s) => `task state ${s}`),
    ...(await c.ctr(['container', 'ls', '-q'])).stdout.split('\n').filter(Boolean).map((id) => `container ${id}`),
  ];
  const runs = SEQUENTIAL + CONCURRENT * CONCURRENT;
  printBenchResult({
    bench: 'soak',
    figures: [
      { id: 'soak-failures', label: `soak: failed runs of ${runs} (+ ${SEQUENTIAL} execs)`, unit: '', subject: { name: 'kata-ts', value: failures.length }, lowerIsBetter: true, samples: runs },
      { id: 'soak-leaks', label: 'soak: leaks found afterwards', unit: '', subject: { name: 'kata-ts', value: leaks.length }, lowerIsBetter: true },
      { id: 'soak-sequential', label: `soak: ${SEQUENTIAL} sequential \`ctr run --rm\` + exec`, unit: 's', subject: { name: 'kata-ts', value: sequentialS }, lowerIsBetter: true },
      { id: 'soak-concurrent', label: `soak: ${CONCURRENT} rounds of ${CONCURRENT} concurrent`, unit: 's', subject: { name: 'kata-ts', value: concurrentS }, lowerIsBetter: true },
      { id: 'soak-containerd-rss', label: 'soak: containerd RSS after vs before', unit: 'MiB', subject: { name: 'after', value: containerdAfter }, reference: { name: 'before', value: containerdBefore }, lowerIsBetter: true },
      { id: 'soak-shim-rss', label: `soak: a running container's shim RSS after ${SEQUENTIAL} execs vs before`, unit: 'MiB', subject: { name: 'after', value: shimAfter }, reference: { name: 'before', value: shimBefore }, lowerIsBetter: true },
    ],
    notes: [...failures.map((f) => `failure: ${f}`), ...leaks.map((l) => `leak: ${l}`)],
  });
  if (failures.length || leaks.length) process.exitCode = 1;
} finally {
  await cleanup();
}
