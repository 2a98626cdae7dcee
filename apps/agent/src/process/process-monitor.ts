import { constants, openSync, readdirSync, readFileSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CommandError } from '../errors';
import { crunWords } from '../runtime/crun';
import type { MonitorLauncher } from './monitor-launcher';

export interface MonitorOptions {
  /** Forks the process's kata-agent-monitor. */
  launcher: MonitorLauncher;
  /** Directory for this process's FIFOs, pid file, console socket and start log. */
  dir: string;
  /**
   * What the monitor starts: crun's command line, built from the monitor's file names, or an
   * exec plan (exec-plan.ts) it carries out itself.
   */
  run: { crun: (files: MonitorFiles) => string[] } | { plan: Buffer };
  terminal: boolean;
}

export interface MonitorFiles {
  pidFile: string;
  /** Why the start failed, in crun's words (crun --log, or the monitor's own for a plan). */
  log: string;
  consoleSocket?: string;
}

/** A process started under its monitor (by crun or by the monitor itself), with the agent's ends of its stdio. */
export interface MonitoredProcess {
  pid: number;
  stdin: Socket;
  stdout: Socket;
  /** Absent with a terminal (the pty merges stderr into stdout). */
  stderr?: Socket;
  /** Resolves with containerd's exit status: the code, or 128 + signal. */
  exited: Promise<number>;
  resize(rows: number, columns: number): void;
}

/**
 * Runs `crun create`, `crun exec -d` or an exec plan under kata-agent-monitor (native/) and
 * resolves once the process exists. Rejects with the start log's words if it could not start.
 */
export async function startMonitored(options: MonitorOptions): Promise<MonitoredProcess> {
  const files: MonitorFiles = {
    pidFile: join(options.dir, 'pid'),
    log: join(options.dir, 'start.log'),
    consoleSocket: options.terminal ? join(options.dir, 'console.sock') : undefined,
  };
  const fifo = (name: string) => join(options.dir, name);
  const args = ['-i', fifo('stdin'), '-o', fifo('stdout'), '-e', fifo('stderr'), '-p', files.pidFile];
  if (files.consoleSocket) args.push('-c', files.consoleSocket);
  const { run } = options;
  if ('plan' in run) {
    writeFileSync(fifo('exec-plan'), run.plan);
    args.push('-x', fifo('exec-plan'), '-l', files.log);
  } else {
    args.push('--', ...run.crun(files));
  }

  const control = await options.launcher.launch(args);
  // A resize can race the monitor's exit: `writable` is still true when the write fails with
  // EPIPE. The exit itself is handled below, so a failed control write must not crash the agent.
  control.on('error', () => {});
  let monitorError = '';

  return new Promise((resolve, reject) => {
    let stdio: Pick<MonitoredProcess, 'stdin' | 'stdout' | 'stderr'> | undefined;
    let settleExit: (status: number) => void = () => {};
    const exited = new Promise<number>((r) => (settleExit = r));
    let started = false;
    let exitReported = false;
    const fail = (error: Error) => {
      if (stdio) for (const s of [stdio.stdin, stdio.stdout, stdio.stderr]) s?.destroy();
      if (!started) reject(error);
      settleExit(255);
    };
    const lines = createInterface({ input: control });
    lines.on('line', (line) => {
      const [word, value] = line.split(' ');
      if (word === 'ready') {
        try {
          stdio = openEnds(options.dir, options.terminal);
        } catch (error) {
          control.destroy(); // the monitor waiting for "go" reads EOF and exits
          return fail(error as Error);
        }
        control.write('go\n');
      } else if (word === 'pid' && stdio) {
        started = true;
        resolve({
          pid: Number(value),
          ...stdio,
          exited,
          resize: (rows, columns) => control.writable && control.write(`winsz ${rows} ${columns}\n`),
        });
      } else if (word === 'exit') {
        exitReported = true;
        settleExit(Number(value));
      } else if (word === 'error') {
        monitorError = line.slice('error '.length);
      } else if (word === 'fail') {
        fail(new CommandError('plan' in run ? 'exec' : 'crun', Number(value), crunWords(readLog(files.log))));
      }
    });
    // The monitor exits right after reporting the exit, while the process's last output may
    // still sit in the FIFO: stdout/stderr then end on their own (EOF). Only a monitor that
    // ended without a report (its connection closed) fails the process.
    lines.once('close', () => {
      if (!exitReported) fail(new CommandError('kata-agent-monitor', monitorError ? 125 : null, monitorError || 'ended without a report'));
    });
  });
}

/**
 * Removes a process's directory (its FIFOs, pid file, start log, console socket, process.json or exec plan).
 * It is flat: one readdir and an unlink per file, not rm -r's lstat of each (each syscall and
 * each thrown ENOENT costs a TCG guest real time, on every exec). A file gone meanwhile (the
 * monitor unlinks the console socket itself) is fine; anything else falls back to rm -r.
 */
export function removeProcessDir(dir: string): void {
  try {
    for (const name of readdirSync(dir)) {
      try {
        unlinkSync(join(dir, name));
      } catch (error) {
        if (!isGone(error)) throw error;
      }
    }
    rmdirSync(dir);
  } catch (error) {
    if (!isGone(error)) rmSync(dir, { recursive: true, force: true });
  }
}

const isGone = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

function openEnds(dir: string, terminal: boolean): Pick<MonitoredProcess, 'stdin' | 'stdout' | 'stderr'> {
  const open = (name: string, flags: number) => openSync(join(dir, name), flags | constants.O_NONBLOCK);
  const stdout = new Socket({ fd: open('stdout', constants.O_RDONLY), readable: true, writable: false });
  const stderr = terminal ? undefined : new Socket({ fd: open('stderr', constants.O_RDONLY), readable: true, writable: false });
  const stdin = new Socket({ fd: open('stdin', constants.O_WRONLY), readable: false, writable: true });
  // A reader that went away must not crash the agent with EPIPE.
  stdin.on('error', () => {});
  return { stdin, stdout, stderr };
}

/** crun --log=file: writes JSON lines ({"msg": ...}); keep the messages (the monitor writes plain lines). */
function readLog(path: string): string {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return 'no start log';
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return (JSON.parse(line) as { msg?: string }).msg ?? line;
      } catch {
        return line;
      }
    })
    .join('; ');
}
