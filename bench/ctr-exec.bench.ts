/**
 * `ctr task exec` into a running container, kata-ts vs runc in the same run, through a private
 * containerd: exec latency (`true`, until ctr returns), stdout throughput (`dd` of zeros to
 * stdout, read by ctr through the shim's FIFOs) and stdin throughput (`wc -c` of what ctr writes;
 * the exec's own start-up, the median latency above, is subtracted from both); and a container's own stdout, `ctr run --rm` of one 5 MB line, whole and
 * from its first stdout byte to its last. The floors under the exec's stdout and stdin: the raw agent channel
 * (channel-floor.ts: a guest program's bytes through virtio-serial, both ways, no ttrpc), in
 * the same run. Needs root, a built tree and the guest image (tools/build-guest-image);
 * installs to a temp prefix with tools/install.sh. Also the kata-ts shim's resident memory against
 * runc's shim, both serving one running container (ctr-run.bench.ts has proxy and QEMU RSS).
 * Run: npx tsx bench/ctr-exec.bench.ts [--json]   (CTR_EXEC_BENCH_MIB=N changes the bytes per sample)
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importBusyboxImage, startContainerd, type PrivateContainerd } from '@kata-ts/testing';
import { printBenchResult, type BenchFigure } from './bench-result';
import { channelFloor } from './channel-floor';

const SAMPLES = 5;
const MIB = 1024 * 1024;
const STDOUT_MIB = Number(process.env.CTR_EXEC_BENCH_MIB ?? 16);
const LINE_BYTES = 5_000_000;
const repo = fileURLToPath(new URL('..', import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const dir = mkdtempSync(join(tmpdir(), 'ctr-exec-bench-'));
const prefix = join(dir, 'kata');
const configPath = join(prefix, 'share/defaults/kata-containers/configuration.toml');
let containerd: PrivateContainerd | undefined;
const cleanup = async (): Promise<void> => {
  await containerd?.removeContainers(['bench-runc', 'bench-kata']);
  await containerd?.stop();
  containerd = undefined;
  rmSync(dir, { recursive: true, force: true });
};
// bench/report.ts stops an overrunning benchmark with SIGTERM: containerd runs in its own group.
process.once('SIGTERM', () => void cleanup().finally(() => process.exit(143)));

async function ctr(args: string[], timeoutMs = 120_000, input?: Buffer): Promise<string> {
  const r = await containerd!.ctr(args, { timeoutMs, input });
  if (r.code !== 0) throw new Error(`ctr ${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr}\n${containerd!.logTail(20)}`);
  return r.stdout;
}

/** Resident memory of a process, from /proc/<pid>/status. */
function rssMiB(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!kib) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kib) / 1024;
}

/** The runc shim serving container `id` of our containerd (its argv names both). */
function runcShimPid(id: string, address: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv[0]?.endsWith('containerd-shim-runc-v2') && argv.includes(id) && argv.includes(address)) return Number(entry);
  }
  throw new Error(`no containerd-shim-runc-v2 for ${id}`);
}

/** The kata-ts sandbox's shim, as it records itself in its run dir. */
function kataShimPid(id: string): number {
  const runDir = process.env.KATA_TS_RUN_DIR || '/run/kata-ts';
  return (JSON.parse(readFileSync(join(runDir, 'sandboxes', id, 'state.json'), 'utf8')) as { shimPid: number }).shimPid;
}

/** Stdio bytes that did not arrive, per runtime: a loss is reported, never hidden. */
const lost: string[] = [];

/** Median ms of `ctr task exec` of `true`, and MiB/s of STDOUT_MIB through the exec's stdout and its stdin. */
async function measure(id: string): Promise<{ execMs: number; mibPerSec: number; stdinMibPerSec: number }> {
  const exec: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await ctr(['task', 'exec', '--exec-id', `t${i}`, id, 'true']);
    exec.push(performance.now() - t0);
  }
  const execMs = median(exec);
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const out = await ctr(['task', 'exec', '--exec-id', `o${i}`, id, 'dd', 'if=/dev/zero', 'bs=65536', `count=${STDOUT_MIB * 16}`]);
    const seconds = (performance.now() - t0 - execMs) / 1000;
    if (out.length !== STDOUT_MIB * MIB) lost.push(`${id}: received ${out.length} of ${STDOUT_MIB * MIB} stdout bytes`);
    rates.push(out.length / MIB / Math.max(seconds, 0.001));
  }
  const input = Buffer.alloc(STDOUT_MIB * MIB, 'x');
  const inRates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const counted = Number(await ctr(['task', 'exec', '--exec-id', `i${i}`, id, 'wc', '-c'], 120_000, input));
    const seconds = (performance.now() - t0 - execMs) / 1000;
    if (counted !== input.length) lost.push(`${id}: the exec read ${counted} of ${input.length} stdin bytes`);
    inRates.push(counted / MIB / Math.max(seconds, 0.001));
  }
  return { execMs, mibPerSec: median(rates), stdinMibPerSec: median(inRates) };
}

/**
 * `ctr run --rm` printing one LINE_BYTES line (newline included): ms of the whole run, and from
 * the first stdout byte to the last (the copy alone, without the start and the teardown).
 */
function measureRunLine(name: string, runtimeArgs: string[], image: string): Promise<{ runMs: number; copyMs: number }> {
  const args = ['--address', containerd!.address, '-n', containerd!.namespace, 'run', ...runtimeArgs, '--rm', image, name, 'sh', '-c', `head -c ${LINE_BYTES - 1} /dev/zero | tr '\\0' x; echo`];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = 0;
    let last = 0;
    let bytes = 0;
    const child = spawn('ctr', args, { env: containerd!.env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (b: Buffer) => {
      last = performance.now();
      first ||= last;
      bytes += b.length;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`ctr run ${name} exited ${code}\n${containerd!.logTail(20)}`));
      if (bytes !== LINE_BYTES) lost.push(`${name}: received ${bytes} of ${LINE_BYTES} stdout bytes`);
      resolve({ runMs: performance.now() - t0, copyMs: last - first });
    });
  });
}

try {
  process.stderr.write('ctr-exec: installing to a temp prefix\n');
  execFileSync(join(repo, 'tools/install.sh'), ['--prefix', prefix], { stdio: ['ignore', 'ignore', 'inherit'] });
  containerd = await startContainerd({ dir: join(dir, 'containerd'), shimBinDir: join(prefix, 'bin'), kataConfigPath: configPath, logLevel: 'info' });
  const image = await importBusyboxImage(containerd);
  await ctr(['run', '-d', image, 'bench-runc', 'sleep', '3600']);
  process.stderr.write('ctr-exec: starting the kata-ts container (boots a VM)\n');
  await ctr(['run', '-d', '--runtime', 'io.containerd.kata.v2', '--runtime-config-path', configPath, image, 'bench-kata', 'sleep', '3600'], 300_000);
  process.stderr.write('ctr-exec: measuring runc\n');
  const runc = await measure('bench-runc');
  process.stderr.write('ctr-exec: measuring kata-ts\n');
  const kata = await measure('bench-kata');
  process.stderr.write('ctr-exec: ctr run of a 5 MB line, runc and kata-ts\n');
  const runcLine = await measureRunLine('line-runc', [], image);
  const kataLine = await measureRunLine('line-kata', ['--runtime', 'io.containerd.kata.v2', '--runtime-config-path', configPath], image);
  const accel = execFileSync(join(prefix, 'bin/kata-runtime'), ['check', '--json', '--containerd-address', containerd.address], { encoding: 'utf8' });
  const { accelerator } = JSON.parse(accel) as { accelerator?: string };
  process.stderr.write('ctr-exec: the raw agent channel (a guest writing to virtio-serial)\n');
  const floor = await channelFloor(STDOUT_MIB * MIB, 3, accelerator === 'kvm' ? 'kvm' : 'tcg');
  const kataShimRss = rssMiB(kataShimPid('bench-kata'));
  const runcShimRss = rssMiB(runcShimPid('bench-runc', containerd.address));
  const figures: BenchFigure[] = [
    {
      id: 'exec-latency',
      label: '`ctr task exec ... true` latency',
      unit: 'ms',
      subject: { name: 'kata-ts', value: kata.execMs },
      reference: { name: 'runc', value: runc.execMs },
      lowerIsBetter: true,
      samples: SAMPLES,
    },
    {
      id: 'stdout-throughput',
      label: `exec stdout throughput (${STDOUT_MIB} MiB)`,
      unit: 'MiB/s',
      subject: { name: 'kata-ts', value: kata.mibPerSec },
      reference: { name: 'runc', value: runc.mibPerSec },
      lowerIsBetter: false,
      samples: 3,
    },
    {
      id: 'stdin-throughput',
      label: `exec stdin throughput (${STDOUT_MIB} MiB)`,
      unit: 'MiB/s',
      subject: { name: 'kata-ts', value: kata.stdinMibPerSec },
      reference: { name: 'runc', value: runc.stdinMibPerSec },
      lowerIsBetter: false,
      samples: 3,
    },
    {
      id: 'agent-channel-floor',
      label: `raw agent channel (guest program → virtio-serial → QEMU's socket; no mux, ttrpc or proxy; ${STDOUT_MIB} MiB)`,
      unit: 'MiB/s',
      subject: { name: 'kata-ts', value: floor.out },
      lowerIsBetter: false,
      samples: 3,
    },
    {
      id: 'stdout-vs-channel-floor',
      label: `exec stdout throughput vs the raw agent channel (${STDOUT_MIB} MiB)`,
      unit: 'MiB/s',
      subject: { name: 'kata-ts', value: kata.mibPerSec },
      reference: { name: 'raw channel', value: floor.out },
      lowerIsBetter: false,
      samples: 3,
    },
    {
      id: 'agent-channel-floor-in',
      label: `raw agent channel into the guest (QEMU's socket → virtio-serial → guest program; ${STDOUT_MIB} MiB)`,
      unit: 'MiB/s',
      subject: { name: 'kata-ts', value: floor.in },
      lowerIsBetter: false,
      samples: 3,
    },
    {
      id: 'stdin-vs-channel-floor',
      label: `exec stdin throughput vs the raw agent channel into the guest (${STDOUT_MIB} MiB)`,
      unit: 'MiB/s',
      subject: { name: 'kata-ts', value: kata.stdinMibPerSec },
      reference: { name: 'raw channel', value: floor.in },
      lowerIsBetter: false,
      samples: 3,
    },
    {
      id: 'run-line-stdout',
      label: '5 MB single-line stdout (`ctr run --rm`)',
      unit: 'ms',
      subject: { name: 'kata-ts', value: kataLine.runMs },
      reference: { name: 'runc', value: runcLine.runMs },
      lowerIsBetter: true,
      samples: 1,
    },
    {
      id: 'run-line-stdout-copy',
      label: '5 MB single-line stdout (`ctr run --rm`), first byte to last',
      unit: 'ms',
      subject: { name: 'kata-ts', value: kataLine.copyMs },
      reference: { name: 'runc', value: runcLine.copyMs },
      lowerIsBetter: true,
      samples: 1,
    },
    {
      id: 'shim-rss-vs-runc',
      label: 'shim RSS vs runc shim, one running container',
      unit: 'MiB',
      subject: { name: 'containerd-shim-kata-v2', value: kataShimRss },
      reference: { name: 'containerd-shim-runc-v2', value: runcShimRss },
      lowerIsBetter: true,
    },
  ];
  printBenchResult({
    bench: 'ctr-exec',
    figures,
    notes: [
      ...(lost.length ? [`STDIO LOST BYTES: ${lost.join('; ')}`] : []),
      `private containerd ${execFileSync('containerd', ['--version'], { encoding: 'utf8' }).split(' ')[2] ?? ''}; guest accelerator: ${accelerator ?? 'unknown'}; times include starting ctr`,
    ],
  });
} finally {
  await cleanup();
}
