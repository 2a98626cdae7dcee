import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@kata-ts/logging';
import type { ContainerStats, CgroupStats } from '../cgroups/cgroup-stats';
import { AlreadyExistsError, DeadlineExceededError, InvalidArgumentError, NotFoundError } from '@kata-ts/errors';
import { stringifyOciJson, type OciLinuxResources, type OciProcess, type OciSpec } from '@kata-ts/oci';
import { ContainerProcess } from '../process/container-process';
import { execPlan, monitorCanExec } from '../process/exec-plan';
import type { MonitorLauncher } from '../process/monitor-launcher';
import { removeProcessDir, startMonitored, type MonitorOptions } from '../process/process-monitor';
import { StateMachine } from '../process/state-machine';
import type { Crun } from '../runtime/crun';
import { CONTAINER_STATES, type ContainerOperation, type ContainerStatus } from './container-states';
import { cgroupPathOf, validateProcess } from './spec-plan';

/** What a container needs from the agent around it. */
export interface ContainerEnv {
  crun: Crun;
  cgroups: CgroupStats;
  /** Forks each process's kata-agent-monitor. */
  monitors: MonitorLauncher;
  /** Directory for this container's bundle. */
  bundleDir: string;
  /** A fresh, short directory for one process's FIFOs and sockets (unix socket paths are short). */
  newIoDir: () => string;
  log: Logger;
}

/**
 * A container: its crun bundle, init process and exec processes, and its status. Every change
 * of status goes through CONTAINER_STATES (an illegal operation throws FailedPreconditionError
 * naming it), one operation at a time: e.g. a RemoveContainer waits for a PauseContainer in
 * flight. Waits and stdio are not serialised: they block for as long as the process runs.
 */
export class Container {
  readonly execs = new Map<string, ContainerProcess>();
  readonly #state: StateMachine<ContainerStatus, ContainerOperation>;

  private constructor(
    readonly id: string,
    readonly sandboxId: string,
    readonly spec: OciSpec,
    readonly init: ContainerProcess,
    readonly env: ContainerEnv,
  ) {
    this.#state = new StateMachine(CONTAINER_STATES, 'created', `container ${id}`);
    void init.exited
      .then(() => this.#state.run('exit', async () => {}))
      .catch((error: unknown) => env.log.error({ error }, 'init exit not recorded'));
  }

  /** Writes the bundle and runs `crun create` under a monitor; the init process waits for start. */
  static async create(id: string, sandboxId: string, initExecId: string, spec: OciSpec, env: ContainerEnv): Promise<Container> {
    const rootfs = spec.root!.path;
    if (!existsSync(rootfs)) throw new InvalidArgumentError(`root.path: rootfs ${rootfs} does not exist`);
    for (const [i, m] of (spec.mounts ?? []).entries()) {
      const bind = m.type === 'bind' || m.options?.some((o) => o === 'bind' || o === 'rbind');
      if (bind && !existsSync(m.source!)) throw new InvalidArgumentError(`mounts[${i}].source: ${m.source} does not exist`);
    }
    mkdirSync(env.bundleDir, { recursive: true });
    writeFileSync(join(env.bundleDir, 'config.json'), stringifyOciJson(spec));
    const ioDir = env.newIoDir();
    const terminal = spec.process?.terminal ?? false;
    const monitored = await startMonitored({
      launcher: env.monitors,
      dir: ioDir,
      terminal,
      run: { crun: (f) => env.crun.createArgs(id, env.bundleDir, f.pidFile, f.log, f.consoleSocket) },
    }).catch((error: unknown) => {
      removeProcessDir(ioDir);
      throw error;
    });
    const init = new ContainerProcess(initExecId, true, terminal, monitored, ioDir);
    const size = spec.process?.consoleSize;
    if (terminal && size) init.resize(size.height, size.width);
    return new Container(id, sandboxId, spec, init, env);
  }

  get status(): ContainerStatus {
    return this.#state.status;
  }

  get cgroupPath(): string {
    return cgroupPathOf(this.sandboxId, this.id);
  }

  start(): Promise<void> {
    return this.#state.run('start', () => this.init.start(() => this.env.crun.start(this.id)));
  }

  /** The init process for '' or the init's exec id, else the exec with that id. */
  process(execId: string): ContainerProcess {
    if (execId === '' || execId === this.init.execId) return this.init;
    const p = this.execs.get(execId);
    if (!p) throw new NotFoundError(`container ${this.id}: no process with exec id "${execId}"`);
    return p;
  }

  async exec(execId: string, process: OciProcess): Promise<ContainerProcess> {
    if (!execId) throw new InvalidArgumentError('exec_id: missing');
    validateProcess(process, 'process');
    return this.#state.run('exec', () => this.#exec(execId, process));
  }

  async #exec(execId: string, process: OciProcess): Promise<ContainerProcess> {
    const existing = this.execs.get(execId);
    if ((existing && existing.running) || execId === this.init.execId) {
      throw new AlreadyExistsError(`container ${this.id}: exec id "${execId}" is in use`);
    }
    if (existing) this.#forget(existing);
    const ioDir = this.env.newIoDir();
    const terminal = process.terminal ?? false;
    const monitored = await startMonitored({
      launcher: this.env.monitors,
      dir: ioDir,
      terminal,
      run: this.#execRun(ioDir, process),
    }).catch((error: unknown) => {
      removeProcessDir(ioDir);
      throw error;
    });
    const proc = new ContainerProcess(execId, false, terminal, monitored, ioDir);
    if (terminal && process.consoleSize) proc.resize(process.consoleSize.height, process.consoleSize.width);
    this.execs.set(execId, proc);
    return proc;
  }

  /**
   * How an exec starts: by the monitor itself from a plan (crun's ~95 ms under TCG saved), or
   * by `crun exec` for what the plan does not carry out (exec-plan.ts).
   */
  #execRun(ioDir: string, process: OciProcess): MonitorOptions['run'] {
    if (monitorCanExec(this.spec, process)) return { plan: execPlan(this.spec, process, this.init.pid) };
    const processJson = join(ioDir, 'process.json');
    writeFileSync(processJson, stringifyOciJson(process));
    return { crun: (f) => this.env.crun.execArgs(this.id, processJson, f.pidFile, f.log, f.consoleSocket) };
  }

  /**
   * WaitProcess: the exit status. An exec that was waited for and whose output was read to
   * the end is then forgotten (as Kata's agent does), so health-check execs do not pile up.
   */
  async wait(execId: string): Promise<number> {
    const proc = this.process(execId);
    const status = await proc.exited;
    if (!proc.isInit) {
      void Promise.all([proc.stdout.drained, proc.stderr?.drained]).then(() => this.#forget(proc));
    }
    return status;
  }

  /** Signals one process; for the init process ('' exec id) also every other process in the cgroup. */
  async signal(execId: string, signal: number): Promise<void> {
    if (signal < 1 || signal > 64) throw new InvalidArgumentError(`signal: ${signal} is not a signal number`);
    await this.#state.run('signal', async () => {
      this.process(execId).signal(signal);
      if (execId === '' && (this.status === 'running' || this.status === 'paused')) {
        await this.env.crun.kill(this.id, signal, true).catch((error: unknown) => this.env.log.debug({ error }, 'kill --all'));
      }
    });
  }

  pause(): Promise<void> {
    return this.#state.run('pause', async () => {
      await this.env.crun.pause(this.id);
      // The freezer may still be FREEZING when crun returns; paused means frozen.
      for (let i = 0; i < 100 && !this.env.cgroups.frozen(this.cgroupPath); i++) await delay(20);
    });
  }

  resume(): Promise<void> {
    return this.#state.run('resume', async () => void (await this.env.crun.resume(this.id)));
  }

  update(resources: OciLinuxResources): Promise<void> {
    return this.#state.run('update', async () => {
      const file = join(this.env.bundleDir, 'resources.json');
      writeFileSync(file, stringifyOciJson(resources));
      await this.env.crun.update(this.id, file);
    });
  }

  stats(): ContainerStats {
    return this.env.cgroups.read(this.cgroupPath);
  }

  /** Host pids of the container's processes. */
  pids(): Promise<number[]> {
    if (this.status === 'stopped') return Promise.resolve([]);
    return this.env.crun.pids(this.id);
  }

  /**
   * Kills every process, waits for them (at most `timeoutSeconds`, 0 = forever), deletes the
   * crun container and cgroup, and drops all stdio and state files.
   */
  remove(timeoutSeconds: number): Promise<void> {
    return this.#state.run('remove', async () => {
      const deadline = timeoutSeconds > 0 ? delay(timeoutSeconds * 1000).then(() => false) : new Promise<boolean>(() => {});
      const exitedInTime = async (procs: ContainerProcess[]) => {
        if (!(await Promise.race([Promise.all(procs.map((p) => p.exited)).then(() => true), deadline]))) {
          throw new DeadlineExceededError(`container ${this.id}: processes still running after ${timeoutSeconds}s`);
        }
      };
      if (this.status === 'paused') await this.env.crun.resume(this.id).catch(() => {});
      if (this.init.running) {
        await this.env.crun.kill(this.id, 9, true).catch(() => this.init.signal(9));
        await exitedInTime([this.init]);
      }
      await this.env.crun.delete(this.id, true).catch((error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error;
      });
      // crun delete --force killed what was left in the cgroup (an exec can outlive an init that
      // is not pid 1 of a shared pid namespace): a process is deleted only once it exited.
      const procs = [this.init, ...this.execs.values()];
      await exitedInTime(procs);
      for (const p of procs) this.#forget(p);
      rmSync(this.env.bundleDir, { recursive: true, force: true });
    });
  }

  /** Deletes a stopped process; an exec once (a wait that drained it and a remove may race). */
  #forget(proc: ContainerProcess): void {
    if (!proc.isInit && this.execs.get(proc.execId) !== proc) return;
    this.execs.delete(proc.execId);
    proc.delete();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
