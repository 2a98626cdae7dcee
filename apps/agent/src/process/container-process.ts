import { readFileSync } from 'node:fs';
import { FailedPreconditionError } from '@kata-ts/errors';
import { OutputBuffer } from './output-buffer';
import { removeProcessDir, type MonitoredProcess } from './process-monitor';
import { EXEC_STATES, INIT_STATES, type ProcessOperation, type ProcessStatus } from './process-states';
import { StateMachine } from './state-machine';

/**
 * One process of a container: the init process or an exec. Owns the agent's ends of its stdio
 * and its exit status (containerd's encoding: the code, or 128 + signal). Its status moves
 * through INIT_STATES or EXEC_STATES only.
 */
export class ContainerProcess {
  readonly pid: number;
  readonly stdout: OutputBuffer;
  readonly stderr: OutputBuffer | undefined;
  /** Resolves with the exit status once the process is stopped. */
  readonly exited: Promise<number>;
  readonly #state: StateMachine<ProcessStatus, ProcessOperation>;
  #stdinClosed = false;

  constructor(
    readonly execId: string,
    readonly isInit: boolean,
    readonly terminal: boolean,
    readonly monitored: MonitoredProcess,
    /** This process's FIFOs, pid file and start log. */
    readonly ioDir: string,
  ) {
    this.#state = new StateMachine(isInit ? INIT_STATES : EXEC_STATES, isInit ? 'created' : 'running', `process ${execId}`);
    this.pid = monitored.pid;
    this.stdout = new OutputBuffer(`stdout of ${execId}`, monitored.stdout);
    this.stderr = monitored.stderr && new OutputBuffer(`stderr of ${execId}`, monitored.stderr);
    // Queued like `start`: an exit reported while crun start runs lands after it (created →
    // running → stopped), as containerd's runc shim takes the process lock for both.
    this.exited = monitored.exited.then((status) =>
      this.#state.run('exit', async () => {
        // Nobody can read stdin any more; its FIFO end is just an open fd.
        monitored.stdin.destroy();
        return status;
      }),
    );
  }

  get status(): ProcessStatus {
    return this.#state.status;
  }

  /** Not exited yet (created or running). */
  get running(): boolean {
    return this.status === 'created' || this.status === 'running';
  }

  /** Starts a created init process: `work` is crun start. */
  start(work: () => Promise<unknown>): Promise<void> {
    return this.#state.run('start', async () => void (await work()));
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

  resize(rows: number, columns: number): void {
    if (!this.terminal) throw new FailedPreconditionError(`process ${this.execId} has no terminal`);
    this.#state.apply('resize');
    if (this.running) this.monitored.resize(rows, columns);
  }

  /**
   * Sends `signal`. An init process that installed no SIGTERM handler would ignore SIGTERM
   * (it is pid 1 of its namespace), so it gets SIGKILL instead, as Kata's agent does.
   */
  signal(signal: number): void {
    this.#state.apply('signal');
    if (!this.running) return;
    let sig = signal;
    if (this.isInit && signal === 15 && !handlesSignal(this.pid, 15)) sig = 9;
    try {
      process.kill(this.pid, sig);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  /** Drops the agent's stdio ends (pending reads see EOF) and the process's files. */
  delete(): void {
    this.#state.apply('delete');
    this.monitored.stdin.destroy();
    this.stdout.destroy();
    this.stderr?.destroy();
    removeProcessDir(this.ioDir);
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
