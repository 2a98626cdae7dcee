import { applyAnnotations, loadConfig, type KataConfig } from '@kata-ts/config';
import type { Logger } from '@kata-ts/logging';
import { events, types, type google } from '@kata-ts/protocols';
import { podIdentity, readBundleSpec } from './bundle';
import { Container } from './container';
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '@kata-ts/errors';
import type { EventPublisher } from './events/event-publisher';
import { PhaseClock } from './phase-clock';
import { ExecProcess } from './process/exec-process';
import { InitProcess } from './process/init-process';
import { SANDBOX_DIED_STATUS, type ExitInfo, type ProcessHost, type TaskProcess } from './process/task-process';
import { sandboxPaths } from './run-paths';
import type { SandboxFactory, SandboxHandle } from './sandbox/sandbox-handle';
import type { StdioPaths } from './stdio/process-io';
import { toTimestamp } from './timestamp';
import { validateId, validateProcess, validateSpec, type OciLinuxResources, type OciProcess } from '@kata-ts/oci';
import { planGuestSpec } from './translate/guest-spec';
import { statsToMetrics } from './translate/stats-to-metrics';

/** How long the init's TaskExit waits for its execs' exits (containerd expects init last). */
const EXEC_EXIT_GRACE_MS = 5_000;

export interface PodOptions {
  namespace: string;
  events: EventPublisher;
  createSandbox: SandboxFactory;
  log: Logger;
  /** ConfigPath from `start`'s stdin, used when CreateTaskRequest carries no options. */
  startConfigPath?: string;
  binaryPath?: string;
}

export interface CreateRequest extends StdioPaths {
  id: string;
  bundle: string;
  rootfs: types.Mount[];
  configPath?: string;
}

export interface ProcessState {
  pid: number;
  status: types.Status;
  exit: ExitInfo | undefined;
  stdio: StdioPaths;
  bundle: string;
}

/**
 * The pod this shim serves: one sandbox (VM) and its containers. The single owner of the
 * container map and of event publication; the Task service only translates into these calls.
 */
export class Pod {
  readonly #containers = new Map<string, Container>();
  #sandbox: SandboxHandle | undefined;
  #sandboxId: string | undefined;
  #config: KataConfig | undefined;
  /** A created container's start phases, until its init process started. */
  readonly #starting = new Map<string, PhaseClock>();

  constructor(private readonly o: PodOptions) {}

  get sandbox(): SandboxHandle | undefined {
    return this.#sandbox;
  }

  get containerCount(): number {
    return this.#containers.size;
  }

  container(id: string): Container {
    const c = this.#containers.get(id);
    if (!c) throw new NotFoundError(`container ${id}: not found`);
    return c;
  }

  async create(r: CreateRequest): Promise<number> {
    if (this.#containers.has(r.id)) throw new AlreadyExistsError(`container ${r.id}: already exists`);
    const spec = readBundleSpec(r.bundle);
    const identity = podIdentity(r.id, spec);
    validateSpec(spec);
    const log = this.o.log.child({ sandbox: identity.sandboxId, container: r.id });
    const phases = new PhaseClock(log);
    if (identity.isSandbox) {
      if (this.#sandboxId) throw new FailedPreconditionError(`this shim already serves sandbox ${this.#sandboxId}; ${r.id} asks for another`);
      const loaded = loadConfig({ configPath: r.configPath || this.o.startConfigPath, binaryPath: this.o.binaryPath });
      const { config } = applyAnnotations(loaded, spec.annotations);
      log.info({ config: config.source }, 'configuration');
      this.#config = config;
      this.#sandboxId = identity.sandboxId;
      try {
        this.#sandbox = await this.o.createSandbox({
          id: identity.sandboxId,
          config,
          paths: sandboxPaths(identity.sandboxId),
          spec,
          log,
          phases,
          onDied: (reason) => void this.#sandboxDied(reason),
        });
      } catch (err) {
        this.#sandboxId = undefined;
        this.#config = undefined;
        throw err;
      }
      void this.#forwardOomEvents(this.#sandbox);
    } else if (identity.sandboxId !== this.#sandboxId || !this.#sandbox) {
      throw new FailedPreconditionError(`sandbox ${identity.sandboxId} of container ${r.id} is not served by this shim`);
    }
    const sandbox = this.#sandbox!;
    try {
      await sandbox.fitMemory(r.id, spec.linux?.resources?.memory?.limit);
      const guestRoot = await sandbox.mountRootfs(r.id, r.bundle, r.rootfs, spec.root?.path);
      const mounts = await sandbox.shareMounts(r.id, spec.mounts ?? []);
      phases.mark('rootfs shared');
      const timeoutMs = this.#config!.runtime.createContainerTimeout * 1000;
      const plan = planGuestSpec({ ...spec, root: { ...spec.root, path: guestRoot }, mounts }, identity.isPodSandbox);
      const init = await InitProcess.create(r.id, plan.spec, r, this.#host(log), { timeoutMs, sandboxPidns: plan.sandboxPidns });
      this.#containers.set(r.id, new Container(r.id, r.bundle, init, identity.isSandbox));
      phases.mark('container created');
      this.#starting.set(r.id, phases);
    } catch (err) {
      await sandbox.unmountRootfs(r.id);
      if (identity.isSandbox) await this.#stopSandbox();
      throw err;
    }
    this.o.events.publish('/tasks/create', events.TaskCreate, {
      containerId: r.id,
      bundle: r.bundle,
      rootfs: r.rootfs,
      io: { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, terminal: r.terminal },
      checkpoint: '',
      pid: sandbox.pid,
    });
    return sandbox.pid;
  }

  async start(id: string, execId: string): Promise<number> {
    const c = this.container(id);
    const proc = c.process(execId);
    // From 'container created' to here is ctr's and containerd's turn.
    if (!execId) this.#starting.get(id)?.mark('start requested');
    if (c.isSandbox && !execId) await this.#sandbox?.connectLateNetwork();
    await proc.start(() => {
      if (execId) this.o.events.publish('/tasks/exec-started', events.TaskExecStarted, { containerId: id, execId, pid: proc.pid });
      else this.o.events.publish('/tasks/start', events.TaskStart, { containerId: id, pid: proc.pid });
    });
    if (!execId) {
      this.#starting.get(id)?.mark('container started');
      this.#starting.delete(id);
    }
    return proc.pid;
  }

  async exec(id: string, execId: string, spec: OciProcess, stdio: StdioPaths): Promise<void> {
    const c = this.container(id);
    if (c.init.status !== 'running') throw new FailedPreconditionError(`cannot exec in container ${id}: it is ${c.init.status}`);
    validateId(execId, 'exec id');
    validateProcess(spec, 'exec process');
    const log = this.o.log.child({ sandbox: this.#sandboxId, container: id, exec: execId });
    c.addExec(new ExecProcess(id, execId, spec, stdio, this.#host(log)));
    this.o.events.publish('/tasks/exec-added', events.TaskExecAdded, { containerId: id, execId });
  }

  async delete(id: string, execId: string): Promise<{ pid: number; exit: ExitInfo }> {
    const c = this.container(id);
    const proc = c.process(execId);
    const pid = proc.pid;
    // The last container of the pod takes the VM with it: nothing inside needs removing first.
    if (!execId && c.isSandbox && this.#containers.size === 1 && proc.status === 'stopped') await this.#stopSandbox();
    const exit = await proc.delete();
    if (execId) {
      c.removeExec(execId);
      return { pid, exit };
    }
    await this.#sandbox?.unmountRootfs(id);
    this.#containers.delete(id);
    this.#starting.delete(id);
    if (c.isSandbox) await this.#stopSandbox();
    this.o.events.publish('/tasks/delete', events.TaskDelete, {
      containerId: id,
      pid,
      exitStatus: exit.status,
      exitedAt: toTimestamp(exit.at),
      id,
    });
    return { pid, exit };
  }

  state(id: string, execId: string): ProcessState {
    const c = this.container(id);
    const p = c.process(execId);
    const status = { created: types.Status.CREATED, running: types.Status.RUNNING, paused: types.Status.PAUSED, stopped: types.Status.STOPPED, deleted: types.Status.UNKNOWN }[p.status];
    return { pid: p.pid, status, exit: p.exit, stdio: p.stdio, bundle: c.bundle };
  }

  async kill(id: string, execId: string, signal: number, all: boolean): Promise<void> {
    // Kata: a kill of the init process signals every process of the container.
    await this.container(id).process(execId).kill(signal, all || !execId);
  }

  async pause(id: string): Promise<void> {
    await this.container(id).init.pause();
    this.o.events.publish('/tasks/paused', events.TaskPaused, { containerId: id });
  }

  async resume(id: string): Promise<void> {
    await this.container(id).init.resume();
    this.o.events.publish('/tasks/resumed', events.TaskResumed, { containerId: id });
  }

  async pids(id: string): Promise<number[]> {
    const c = this.container(id);
    if (c.init.status === 'stopped') return [];
    return this.#requireSandbox().agent.listProcesses(id);
  }

  async stats(id: string): Promise<google.Any> {
    this.container(id);
    return statsToMetrics(await this.#requireSandbox().agent.statsContainer(id));
  }

  async update(id: string, resources: OciLinuxResources): Promise<void> {
    const c = this.container(id);
    if (c.init.status === 'stopped') throw new FailedPreconditionError(`cannot update container ${id}: it is stopped`);
    const sandbox = this.#requireSandbox();
    // A larger limit gets its memory before the container may use it.
    if (resources.memory?.limit !== undefined) await sandbox.fitMemory(id, resources.memory.limit);
    await sandbox.agent.updateContainer(id, resources);
  }

  /** Stops the sandbox (if any is left) and drains the event queue; the caller then exits. */
  async shutdown(): Promise<void> {
    await this.#stopSandbox();
    await this.o.events.flush();
  }

  #requireSandbox(): SandboxHandle {
    if (!this.#sandbox) throw new FailedPreconditionError('the sandbox is not running');
    return this.#sandbox;
  }

  async #stopSandbox(): Promise<void> {
    const sandbox = this.#sandbox;
    this.#sandbox = undefined;
    this.#sandboxId = undefined;
    this.#config = undefined;
    await sandbox?.stop();
  }

  /**
   * The VM or the proxy went away, or a SIGKILL could not reach the agent: every process has
   * exited (255), and the sandbox is torn down.
   */
  async #sandboxDied(reason: string): Promise<void> {
    this.o.log.error({ reason }, 'sandbox died: reporting every process as exited');
    const sandbox = this.#sandbox;
    await Promise.all([...this.#containers.values()].flatMap((c) => c.processes).map((p) => p.markExited(SANDBOX_DIED_STATUS)));
    await sandbox?.stop();
  }

  /** Kata's OOM loop: the agent's GetOOMEvent blocks until a container hits its memory limit. */
  async #forwardOomEvents(sandbox: SandboxHandle): Promise<void> {
    while (this.#sandbox === sandbox) {
      let containerId: string;
      try {
        containerId = await sandbox.agent.getOOMEvent();
      } catch (err) {
        if (this.#sandbox === sandbox) this.o.log.debug({ err: (err as Error).message }, 'OOM event loop ended');
        return;
      }
      this.o.log.warn({ container: containerId }, 'container hit its memory limit (OOM)');
      this.o.events.publish('/tasks/oom', events.TaskOOM, { containerId });
    }
  }

  #host(log: Logger): ProcessHost {
    return {
      agent: this.#requireSandbox().agent,
      log,
      namespace: this.o.namespace,
      pid: () => this.#sandbox?.pid ?? 0,
      onExit: (p) => void this.#publishExit(p),
      tearDown: (reason) => this.#sandboxDied(reason),
    };
  }

  /** TaskExit of an init process goes out after its execs' exits (bounded), as containerd expects. */
  async #publishExit(p: TaskProcess): Promise<void> {
    const exit = p.exit!;
    if (!p.execId) {
      const c = this.#containers.get(p.containerId);
      const execExits = (c?.execs ?? []).filter((e) => e.status !== 'stopped').map((e) => e.wait());
      if (execExits.length) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(execExits), new Promise((r) => (timer = setTimeout(r, EXEC_EXIT_GRACE_MS)))]);
        clearTimeout(timer);
      }
    }
    this.o.events.publish('/tasks/exit', events.TaskExit, {
      containerId: p.containerId,
      id: p.execId || p.containerId,
      pid: p.pid,
      exitStatus: exit.status,
      exitedAt: toTimestamp(exit.at),
    });
  }
}
