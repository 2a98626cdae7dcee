import type { Logger } from '@kata-ts/logging';
import type { AgentClient } from '@kata-ts/agent-client';
import { UnavailableError } from '@kata-ts/errors';
import { Code, TtrpcError } from '@kata-ts/ttrpc';
import { IoCopier } from '../stdio/io-copier';
import { ProcessIo, type StdioPaths } from '../stdio/process-io';
import { AsyncLock } from './async-lock';
import { STATES, type ProcessOperation, type ProcessState, type ProcessStatus } from './process-states';

/** Exit status reported when the sandbox (VM, proxy or agent) dies under a process. */
export const SANDBOX_DIED_STATUS = 255;
/** Exit status of an exec that never started. */
const NOT_STARTED_STATUS = 255;
/**
 * After an exit, the output still buffered is copied as long as it moves; once nothing moved for
 * this long (nobody reads the FIFO), the rest is dropped and the exit reported: an exit never
 * waits without a bound on a reader.
 */
const OUTPUT_STALL_MS = 5_000;
/** How long a kill whose agent connection closed waits to see the process exit (output drain included). */
const KILL_SETTLE_MS = OUTPUT_STALL_MS + 2_000;
const SIGKILL = 9;

export interface ProcessHost {
  agent: AgentClient;
  log: Logger;
  namespace: string;
  /** The pid containerd is told: the hypervisor's, as Kata does (guest pids mean nothing on the host). */
  pid(): number;
  /** Called once per process, after its output reached EOF; publishes TaskExit. */
  onExit(process: TaskProcess): void;
  /**
   * Tears the sandbox down as if its VM had died (every process exited): a SIGKILL the agent did
   * not take is delivered this way, as Kata does, so a hung VM still ends in STOPPED.
   */
  tearDown(reason: string): Promise<void>;
}

export interface ExitInfo {
  status: number;
  at: Date;
}

/**
 * One process of a task (the init process or an exec): its state machine, stdio and exit.
 * Public methods take the process lock, ask the state whether the operation is legal, do the
 * work, then move to the next state.
 */
export abstract class TaskProcess {
  readonly #lock = new AsyncLock();
  #state: ProcessState = STATES.created;
  #io: ProcessIo | undefined;
  #copier: IoCopier | undefined;
  #exit: ExitInfo | undefined;
  readonly #exited: Promise<ExitInfo>;
  #resolveExited!: (exit: ExitInfo) => void;

  protected constructor(
    readonly containerId: string,
    /** containerd's exec id; '' for the init process. */
    readonly execId: string,
    /** The id the agent knows the process by. */
    readonly agentExecId: string,
    readonly stdio: StdioPaths,
    protected readonly host: ProcessHost,
  ) {
    this.#exited = new Promise((resolve) => (this.#resolveExited = resolve));
  }

  get status(): ProcessStatus {
    return this.#state.status;
  }

  get pid(): number {
    return this.host.pid();
  }

  get exit(): ExitInfo | undefined {
    return this.#exit;
  }

  protected get what(): string {
    return this.execId ? `exec ${this.execId} of ${this.containerId}` : `task ${this.containerId}`;
  }

  /** Resolves when the process has exited and its output is drained. */
  wait(): Promise<ExitInfo> {
    return this.#exited;
  }

  /**
   * Starts the process. `onStarted` runs before the exit watch begins, so TaskStart is always
   * queued before this process's TaskExit, however fast it exits.
   */
  start(onStarted: () => void): Promise<void> {
    return this.#locked('start', async () => {
      try {
        await this.doStart();
      } catch (err) {
        if (this.execId) this.#neverStarted();
        throw err;
      }
      onStarted();
      void this.#watch();
    });
  }

  /**
   * An exec the guest could not start (no such binary) is over, as in runc's shim: its Wait
   * answers at once and a Kill is a no-op, so a caller that cleans up with kill-and-wait (the CRI
   * plugin's ExecSync) gets the error now, not after its own timeout. No TaskExit: it never ran.
   */
  #neverStarted(): void {
    this.#state = STATES.stopped;
    this.#exit = { status: NOT_STARTED_STATUS, at: new Date() };
    this.#resolveExited(this.#exit);
  }

  /**
   * Signals the process. The agent's connection can close with the call in flight (the process
   * exited and its sandbox is being stopped, or the VM died): then the answer is what happened to
   * the process, not the connection's error. Exited within a moment: done. Still running, or the
   * agent did not answer before the call's deadline (a hung VM): a SIGKILL tears the sandbox down,
   * which ends the process for sure; any other signal fails saying it may not have arrived.
   */
  async kill(signal: number, all: boolean): Promise<void> {
    try {
      await this.#locked('kill', async () => {
        if (this.status === 'stopped') return;
        await this.host.agent.signalProcess(this.containerId, all && !this.execId ? '' : this.agentExecId, signal);
      });
    } catch (err) {
      if (!(err instanceof TtrpcError && (err.code === Code.UNAVAILABLE || err.code === Code.DEADLINE_EXCEEDED))) throw err;
      if (err.code === Code.UNAVAILABLE && (await this.#exitsWithin(KILL_SETTLE_MS))) return;
      if (signal !== SIGKILL) throw new UnavailableError(`kill ${this.what}: the agent is unreachable (${err.message}); the signal may not have been delivered`, { cause: err });
      this.host.log.error({ exec: this.execId, err: err.message }, 'SIGKILL did not reach the agent: tearing the sandbox down');
      // The process dies with its VM: the exit it reports is the SIGKILL's, as if delivered.
      await this.markExited(128 + SIGKILL);
      await this.host.tearDown(`SIGKILL of ${this.what} did not reach the agent (${err.message})`);
    }
  }

  async #exitsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([this.#exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
    clearTimeout(timer);
    return exited;
  }

  resize(width: number, height: number): Promise<void> {
    return this.#locked('resize', async () => {
      // A 0x0 size (ctr on a terminal that has none) would only squash the guest's pty.
      if (this.stdio.terminal && this.status !== 'stopped' && width > 0 && height > 0) {
        await this.host.agent.ttyWinResize(this.containerId, this.agentExecId, height, width);
      }
    });
  }

  closeIO(): Promise<void> {
    return this.#locked('closeIO', async () => {
      await this.#copier?.closeStdin();
    });
  }

  delete(): Promise<ExitInfo> {
    return this.#locked('delete', async () => {
      await this.doDelete();
      await this.#closeIo();
      return this.#exit ?? { status: 0, at: new Date(0) };
    });
  }

  /** Container-level transitions (pause/resume) that the init process's state must allow. */
  protected transitionTo(op: ProcessOperation, work: () => Promise<void>): Promise<void> {
    return this.#locked(op, work);
  }

  /** Opens containerd's stdio and starts copying; call once the agent knows the process. */
  protected async attachIo(): Promise<void> {
    this.#io = await ProcessIo.open(this.stdio, { containerId: this.containerId, namespace: this.host.namespace });
    this.#copier = new IoCopier(this.host.agent, this.containerId, this.agentExecId, this.#io, this.host.log);
  }

  protected abstract doStart(): Promise<void>;
  protected abstract doDelete(): Promise<void>;

  async #watch(): Promise<void> {
    let status: number;
    try {
      status = await this.host.agent.waitProcess(this.containerId, this.agentExecId);
    } catch (err) {
      this.host.log.warn({ err: (err as Error).message, exec: this.execId }, 'wait failed: the sandbox is gone');
      status = SANDBOX_DIED_STATUS;
    }
    await this.markExited(status);
  }

  /**
   * Records the exit once, after the output drained; also used when the sandbox dies. The
   * transition takes the lock like every other: an exit waits for an operation in flight.
   */
  async markExited(status: number): Promise<void> {
    if (this.#exit || this.status === 'deleted') return;
    const at = new Date();
    if (this.#copier && !(await this.#copier.drained(OUTPUT_STALL_MS))) {
      this.host.log.warn({ exec: this.execId, ms: OUTPUT_STALL_MS }, 'output stalled after the exit (nobody reads it): the rest is dropped');
    }
    this.#copier?.stop();
    await this.#closeIo();
    await this.#lock.run(async () => {
      // Recorded once (the sandbox can die as a wait returns), and not after a delete.
      if (this.#exit || this.status === 'deleted') return;
      this.#state = STATES[this.#state.transition('exit', this.what)];
      this.#exit = { status, at };
      this.host.log.info({ exec: this.execId, status }, 'process exited');
      this.#resolveExited(this.#exit);
      this.host.onExit(this);
    });
  }

  async #closeIo(): Promise<void> {
    const dropped = (await this.#io?.close()) ?? 0;
    if (dropped) this.host.log.warn({ exec: this.execId, bytes: dropped }, 'output nobody read was dropped at close');
  }

  #locked<T>(op: ProcessOperation, work: () => Promise<T>): Promise<T> {
    return this.#lock.run(async () => {
      const next = this.#state.transition(op, this.what);
      const result = await work();
      this.#state = STATES[next];
      return result;
    });
  }
}
