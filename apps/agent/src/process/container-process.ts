import { readFileSync } from 'node:fs';
import { FailedPreconditionError } from '../errors';
import { OutputBuffer } from './output-buffer';
import type { MonitoredProcess } from './process-monitor';

/**
 * One process of a container: the init process or an exec. Owns the agent's ends of its stdio
 * and its exit status (containerd's encoding: the code, or 128 + signal).
 */
export class ContainerProcess {
  readonly pid: number;
  readonly stdout: OutputBuffer;
  readonly stderr: OutputBuffer | undefined;
  readonly exited: Promise<number>;
  #exitStatus: number | undefined;
  #stdinClosed = false;

  constructor(
    readonly execId: string,
    readonly isInit: boolean,
    readonly terminal: boolean,
    readonly monitored: MonitoredProcess,
    /** This process's FIFOs, pid file and crun log. */
    readonly ioDir: string,
  ) {
    this.pid = monitored.pid;
    this.stdout = new OutputBuffer(`stdout of ${execId}`, monitored.stdout);
    this.stderr = monitored.stderr && new OutputBuffer(`stderr of ${execId}`, monitored.stderr);
    this.exited = monitored.exited.then((status) => {
      // Nobody can read stdin any more; its FIFO end is just an open fd.
      monitored.stdin.destroy();
      return (this.#exitStatus = status);
    });
  }

  get exitStatus(): number | undefined {
    return this.#exitStatus;
  }

  get running(): boolean {
    return this.#exitStatus === undefined;
  }

  /** Writes all of `data`, waiting while the pipe is full; resolves with the length written. */
  writeStdin(data: Uint8Array): Promise<number> {
    const stdin = this.monitored.stdin;
    if (this.#stdinClosed || stdin.destroyed) throw new FailedPreconditionError(`stdin of ${this.execId} is closed`);
    return new Promise((resolve, reject) => {
      stdin.write(data, (error) => (error ? reject(new FailedPreconditionError(`stdin of ${this.execId}: ${error.message}`)) : resolve(data.length)));
    });
  }

  closeStdin(): void {
    this.#stdinClosed = true;
    this.monitored.stdin.end();
  }

  /** A resize that races with the exit (the shim forwards ResizePty as it comes) is a no-op. */
  resize(rows: number, columns: number): void {
    if (!this.terminal) throw new FailedPreconditionError(`process ${this.execId} has no terminal`);
    if (this.running) this.monitored.resize(rows, columns);
  }

  /**
   * Sends `signal`. An init process that installed no SIGTERM handler would ignore SIGTERM
   * (it is pid 1 of its namespace), so it gets SIGKILL instead, as Kata's agent does.
   */
  signal(signal: number): void {
    if (!this.running) return;
    let sig = signal;
    if (this.isInit && signal === 15 && !handlesSignal(this.pid, 15)) sig = 9;
    try {
      process.kill(this.pid, sig);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  /** Drops the agent's stdio ends; pending reads see EOF. */
  release(): void {
    this.monitored.stdin.destroy();
    this.stdout.destroy();
    this.stderr?.destroy();
  }
}

function handlesSignal(pid: number, signal: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const caught = /^SigCgt:\s*([0-9a-f]+)/m.exec(status)?.[1];
    return caught !== undefined && (BigInt(`0x${caught}`) & (1n << BigInt(signal - 1))) !== 0n;
  } catch {
    return false;
  }
}
