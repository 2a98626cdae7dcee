import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MonitorLauncher } from '../src/process/monitor-launcher';
import { startMonitored, type MonitoredProcess } from '../src/process/process-monitor';
import { DIST } from './harness';

// The real launcher and monitors (dist/kata-agent-monitor), with `sh` in crun's place: like
// `crun create`, it leaves a process behind, writes its pid file and exits without reaping it.

let dir: string;
let launcher: MonitorLauncher;
let seq = 0;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'monitor-launcher-'));
  launcher = new MonitorLauncher(join(DIST, 'kata-agent-monitor'), join(dir, 'monitor.sock'));
});
afterEach(async () => {
  await launcher.close();
  rmSync(dir, { recursive: true, force: true });
});

function start(script: string): Promise<MonitoredProcess> {
  const io = join(dir, String(++seq));
  mkdirSync(io);
  // The pid is written by /bin/echo, exec'd: unlike the shell, it never reaps the process it
  // leaves (dash reaps a finished background job), so the exit goes to the monitor, as crun's.
  return startMonitored({ launcher, dir: io, terminal: false, run: { crun: (f) => ['sh', '-c', `(${script}) & exec /bin/echo $! > ${f.pidFile}`] } });
}

const text = (stream: NodeJS.ReadableStream) => new Promise<string>((resolve) => {
  let out = '';
  stream.setEncoding('utf8');
  stream.on('data', (s: string) => (out += s)).on('end', () => resolve(out));
});

/**
 * The launcher's pid: our child running kata-agent-monitor --launcher on our socket (the
 * monitors it forks share its command line; their parent is the launcher).
 */
function launcherPid(): number {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const ppid = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      if (argv[1] === '--launcher' && argv[2] === join(dir, 'monitor.sock') && ppid === process.pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error('no launcher');
}

describe('MonitorLauncher: monitors forked by one launcher', () => {
  it('starts monitors side by side; each reaps its own process (a subreaper) and reports its exit', async () => {
    const [a, b] = await Promise.all([start('echo a; exit 3'), start("sleep 0.2; echo b; exec sh -c 'kill -TERM $$'")]);
    expect(a.pid).toBeGreaterThan(0);
    expect(b.pid).not.toBe(a.pid);
    const [outA, statusA, outB, statusB] = await Promise.all([text(a.stdout), a.exited, text(b.stdout), b.exited]);
    expect([outA, statusA]).toEqual(['a\n', 3]);
    expect([outB, statusB]).toEqual(['b\n', 143]);
  });

  it('starts a launcher again when it died; monitors already forked carry on', async () => {
    const running = await start('sleep 1; echo still here');
    const first = launcherPid();
    process.kill(first, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const next = await start('echo again');
    expect(launcherPid()).not.toBe(first);
    expect(await text(next.stdout)).toBe('again\n');
    expect(await text(running.stdout)).toBe('still here\n');
    expect(await running.exited).toBe(0);
  });

  it('rejects with the monitor’s own words when it cannot start', async () => {
    const io = join(dir, 'missing', 'io');
    const error = await startMonitored({ launcher, dir: io, terminal: false, run: { crun: () => ['true'] } }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/kata-agent-monitor failed \(exit 125\): mkfifo .*missing\/io\/stdin: No such file or directory/);
  });
});
