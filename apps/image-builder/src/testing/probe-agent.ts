import { cpSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForConsole, type BootedGuest } from '@kata-ts/testing';

/** What the probe wrapper prints on the guest console, one JSON line after `PROBE `. */
export interface ProbeReport {
  /** Guest uptime (s) when the real agent's module finished loading (it listens then). */
  agentReadyUptime: number;
  /** The agent process's RSS in KiB once ready. */
  agentRssKiB: number;
  /** Zombies whose parent is PID 1, after an orphan exited: 0 when PID 1 reaps. */
  zombiesOfInit: number;
  /** Whether the orphan was re-parented to PID 1 (proves the test made a real orphan). */
  orphanAdoptedByInit: boolean;
  modules: string[];
  subtreeControl: string;
  mounts: string[];
  /** The "/" line of /proc/mounts: device, type, options. */
  root: { device: string; type: string; options: string[] };
  virtioPortLink: string | null;
  /** `lo` is up before any CreateSandbox (PID 1 brought it up). */
  loopbackUp: boolean;
  /** crun ran a container (new namespaces, pivot_root into its rootfs) in the guest. */
  container: { ran: boolean; status: number | null; stderr: string };
}

// Runs inside the guest as /opt/kata-agent/kata-agent.mjs: imports the real agent bundle (which
// starts listening at import), then checks what PID 1 did and prints a ProbeReport.
const WRAPPER = String.raw`
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
await import('./kata-agent-main.mjs');
const uptime = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
const agentReadyUptime = uptime();
const loopbackUp = (Number(readFileSync('/sys/class/net/lo/flags', 'utf8')) & 1) === 1;
const agentRssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
const ppidOf = (pid) => { try { return Number(readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1].split(' ')[1]); } catch { return -1; } };
const stateOf = (pid) => { try { return readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1].split(' ')[0]; } catch { return '?'; } };
// An orphan: a child that starts a grandchild and exits; the grandchild outlives it briefly.
const middle = spawn(process.execPath, ['-e', "const c = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300)'], { detached: true, stdio: 'ignore' }); console.log(c.pid); c.unref();"], { stdio: ['ignore', 'pipe', 'ignore'] });
let out = '';
middle.stdout.on('data', (d) => (out += d));
await new Promise((r) => middle.on('close', r));
const orphan = Number(out.trim());
const orphanAdoptedByInit = ppidOf(orphan) === 1;
await new Promise((r) => setTimeout(r, 1500));
const zombiesOfInit = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && ppidOf(p) === 1 && stateOf(p) === 'Z').length;
let virtioPortLink = null;
try { virtioPortLink = readlinkSync('/dev/virtio-ports/agent.channel.0'); } catch {}
// A container through crun: its rootfs holds one static binary (the agent's monitor, which
// prints its usage and exits 125 when run without arguments).
const bundle = '/run/probe-bundle';
mkdirSync(bundle + '/rootfs/bin', { recursive: true });
copyFileSync('/opt/kata-agent/kata-agent-monitor', bundle + '/rootfs/bin/monitor');
chmodSync(bundle + '/rootfs/bin/monitor', 0o755);
execFileSync('crun', ['spec'], { cwd: bundle });
const spec = JSON.parse(readFileSync(bundle + '/config.json', 'utf8'));
spec.process.terminal = false;
spec.process.args = ['/bin/monitor'];
spec.root = { path: 'rootfs', readonly: false };
writeFileSync(bundle + '/config.json', JSON.stringify(spec));
const run = spawnSync('crun', ['run', '--bundle', bundle, 'probe'], { encoding: 'utf8' });
const container = { ran: run.stderr.includes('usage: kata-agent-monitor'), status: run.status, stderr: run.stderr.slice(0, 500) };
const report = {
  container,
  agentReadyUptime, agentRssKiB, zombiesOfInit, orphanAdoptedByInit,
  modules: readFileSync('/proc/modules', 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]),
  subtreeControl: readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').trim(),
  mounts: readFileSync('/proc/mounts', 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ').slice(1, 3).join(' ')),
  root: (() => { const [device, , type, options] = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.split(' ')[1] === '/').pop().split(' '); return { device, type, options: options.split(',') }; })(),
  virtioPortLink,
  loopbackUp,
};
writeFileSync('/dev/console', 'PROBE ' + JSON.stringify(report) + '\n');
`;

/**
 * A copy of the agent's dist/ whose entry point wraps the real agent with in-guest checks
 * (see ProbeReport). The agent itself is unchanged: same bundle, same flags, same channel.
 */
export function probeAgentDir(agentDist: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'probe-agent-'));
  cpSync(agentDist, dir, { recursive: true });
  renameSync(join(dir, 'kata-agent.mjs'), join(dir, 'kata-agent-main.mjs'));
  writeFileSync(join(dir, 'kata-agent.mjs'), WRAPPER, { mode: 0o755 });
  return dir;
}

/**
 * An "agent" that only says `NODE-UP` on the console and idles: the floor under any Node agent,
 * QEMU start → Node running its first line (what the kernel, PID 1 and Node's own start cost).
 */
export function nodeFloorAgentDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'node-floor-agent-'));
  writeFileSync(join(dir, 'kata-agent.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync('/dev/console', 'NODE-UP\\n');\nsetInterval(() => {}, 1 << 30);\n`, { mode: 0o755 });
  return dir;
}

/** An "agent" that exits at once with `code`: PID 1 must then power the VM off. */
export function exitingAgentDir(code: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'exiting-agent-'));
  writeFileSync(join(dir, 'kata-agent.mjs'), `process.exit(${code});\n`, { mode: 0o755 });
  return dir;
}

/** The ProbeReport in a console log, if printed yet. */
export function parseProbeReport(consoleText: string): ProbeReport | undefined {
  const line = consoleText.split('\n').find((l) => l.startsWith('PROBE '));
  return line ? (JSON.parse(line.slice(6)) as ProbeReport) : undefined;
}

/** Waits for the whole PROBE line (newline included: the console file fills as the guest writes). */
export async function waitForProbeReport(guest: BootedGuest, timeoutMs: number): Promise<ProbeReport | undefined> {
  const line = await waitForConsole(guest, /^PROBE [^\n]*\n/m, timeoutMs);
  return line ? parseProbeReport(line) : undefined;
}
