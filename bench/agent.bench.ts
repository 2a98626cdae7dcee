/**
 * kata-agent vs runc on this host, same busybox rootfs, same run: create+start+wait of `true`,
 * exec of `true` into a running container, and the agent's RSS idle and with 10 containers.
 * Needs root, crun, runc and a built agent (npx nx run agent:build).
 * Run: npx tsx bench/agent.bench.ts [--json]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agent } from '@kata-ts/protocols';
import { busyboxSpec, runContainer, startTestAgent, toProto, type TestAgent } from '@kata-ts/agent/testing';
import { printBenchResult, type BenchFigure } from './bench-result';

const SAMPLES = 15;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function time(n: number, one: (i: number) => Promise<unknown> | unknown): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await one(i);
    samples.push(ms(t0));
  }
  return median(samples);
}

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

/** Monitors are children of the agent; sum their RSS. */
function monitorsRssKiB(): number {
  let total = 0;
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'kata-agent-moni') total += rssKiB(Number(p));
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** A runc bundle with the same rootfs and the spec ctr would send. */
function runcBundle(dir: string, args: string[]): string {
  const bundle = join(dir, `runc-${args.join('-')}`);
  mkdirSync(bundle, { recursive: true });
  const spec = busyboxSpec(args);
  spec.root = { path: join(dir, 'busybox/rootfs'), readonly: false };
  spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== 'network');
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  return bundle;
}

const RUNC_ROOT = '/run/kata-ts-bench-runc';
/** stdio ignored: a detached container would hold a pipe open and spawnSync would wait for it. */
const runc = (args: string[]) => {
  const r = spawnSync('runc', ['--root', RUNC_ROOT, ...args], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`runc ${args.join(' ')} failed (exit ${r.status})`);
};

const a: TestAgent = await startTestAgent();
try {
  await a.agent.createSandbox(agent.CreateSandboxRequest.fromPartial({ sandboxId: 'bench' }));
  const idleRss = rssKiB(a.child.pid!);

  // Rootfs copies are made up front: only the agent's work is timed.
  for (const id of ['warm', ...Array.from({ length: SAMPLES }, (_, i) => `run${i}`)]) a.rootfsFor(id);
  const runOnce = async (id: string) => {
    await a.agent.createContainer(agent.CreateContainerRequest.fromPartial({ containerId: id, execId: id, OCI: toProto(busyboxSpec(['true'])) }));
    await a.agent.startContainer({ containerId: id });
    await a.agent.waitProcess({ containerId: id, execId: id });
    await a.agent.removeContainer({ containerId: id, timeout: 10 });
  };
  await runOnce('warm');
  const agentRun = await time(SAMPLES, (i) => runOnce(`run${i}`));
  const trueBundle = runcBundle(a.dir, ['true']);
  runc(['run', '--bundle', trueBundle, 'warm']);
  const runcRun = await time(SAMPLES, (i) => runc(['run', '--bundle', trueBundle, `run${i}`]));

  await runContainer(a, 'host', ['sleep', '1000']);
  const execTrue = async (i: number) => {
    await a.agent.execProcess(agent.ExecProcessRequest.fromPartial({ containerId: 'host', execId: `e${i}`, process: { Args: ['true'], Env: ['PATH=/bin'], Cwd: '/', User: {} } }));
    await a.agent.waitProcess({ containerId: 'host', execId: `e${i}` });
  };
  await execTrue(-1);
  const agentExec = await time(SAMPLES, execTrue);
  runc(['run', '--detach', '--bundle', runcBundle(a.dir, ['sleep', '1000']), 'host']);
  const runcExec = await time(SAMPLES, () => runc(['exec', 'host', 'true']));
  runc(['delete', '--force', 'host']);
  await a.agent.removeContainer({ containerId: 'host', timeout: 10 });

  for (let i = 0; i < 10; i++) await runContainer(a, `ten${i}`, ['sleep', '1000']);
  const tenRss = rssKiB(a.child.pid!);
  const tenMonitors = monitorsRssKiB();

  const figures: BenchFigure[] = [
    { id: 'agent-run-true', label: 'create+start+wait+remove `true` (ms)', unit: 'ms', subject: { name: 'kata-agent', value: agentRun }, reference: { name: 'runc run', value: runcRun }, lowerIsBetter: true, samples: SAMPLES },
    { id: 'agent-exec-true', label: 'exec `true` + wait (ms)', unit: 'ms', subject: { name: 'kata-agent', value: agentExec }, reference: { name: 'runc exec', value: runcExec }, lowerIsBetter: true, samples: SAMPLES },
    { id: 'agent-rss-idle', label: 'agent RSS, idle (MiB)', unit: 'MiB', subject: { name: 'kata-agent', value: idleRss / 1024 }, lowerIsBetter: true },
    { id: 'agent-rss-10', label: 'agent RSS, 10 containers (MiB)', unit: 'MiB', subject: { name: 'kata-agent', value: tenRss / 1024 }, reference: { name: 'idle', value: idleRss / 1024 }, lowerIsBetter: true },
    { id: 'agent-monitors-rss-10', label: '10 monitors, total RSS (MiB)', unit: 'MiB', subject: { name: 'kata-agent-monitor', value: tenMonitors / 1024 }, lowerIsBetter: true },
  ];
  printBenchResult({
    bench: 'agent',
    figures,
    notes: [
      `host, agent over a unix socket (ttrpc), ${execFileSync('crun', ['--version'], { encoding: 'utf8' }).split('\n')[0]} vs runc; median of ${SAMPLES}`,
      'the agent drives crun under its monitor: its run costs crun create + crun start + crun delete processes, runc run is one',
      `load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (shared machine)`,
    ],
  });
} finally {
  spawnSync('runc', ['--root', RUNC_ROOT, 'delete', '--force', 'host'], { stdio: 'ignore' });
  await a.stop();
}
