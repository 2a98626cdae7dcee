import { mkdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@kata-ts/logging';
import { CgroupStats } from '../cgroups/cgroup-stats';
import { Container } from '../container/container';
import { planSpec } from '../container/spec-plan';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@kata-ts/errors';
import type { OciSpec } from '@kata-ts/oci';
import type { GuestStorage, SandboxRequest } from '@kata-ts/guest-contract';
import { StateMachine, type StateTable } from '../process/state-machine';
import { MonitorLauncher } from '../process/monitor-launcher';
import { removeProcessDir } from '../process/process-monitor';
import { Crun } from '../runtime/crun';
import { isMountPoint, mountStorage, validateStorage } from '../storage/mounter';
import { GuestNetwork, loopbackIsUp } from '../network/guest-network';
import { SysHelper } from '../storage/sys-helper';
import type { AgentConfig } from './agent-config';
import { OomWatcher } from './oom-watcher';

export interface ContainerRequest {
  containerId: string;
  execId: string;
  spec: OciSpec;
  storages: GuestStorage[];
  sandboxPidns: boolean;
}

type SandboxStatus = 'none' | 'created' | 'destroyed';
type SandboxOperation = 'create' | 'createContainer' | 'destroy';

/**
 * CreateSandbox once, before any container. Destroying may repeat, and may come first: the
 * agent's shutdown destroys whatever there is.
 */
const SANDBOX_STATES: StateTable<SandboxStatus, SandboxOperation> = {
  none: { create: 'created', destroy: 'destroyed' },
  created: { createContainer: 'created', destroy: 'destroyed' },
  destroyed: { destroy: 'destroyed' },
};

/** How long DestroySandbox waits for each container's processes to die. */
const DESTROY_TIMEOUT_S = 10;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * The agent's domain root: one sandbox (pod) per agent, its containers, storages and
 * shared namespaces. The single owner of the container map.
 */
export class Sandbox {
  readonly #state = new StateMachine(SANDBOX_STATES, 'none', 'the sandbox');
  #id: string | undefined;
  #hostname = '';
  #sharedPidns = false;
  #pidnsOwner: Container | undefined;
  #podOwner: Container | undefined;
  #files: Record<string, string> = {};
  #ioSeq = 0;
  readonly #containers = new Map<string, Container>();
  readonly #reserved = new Set<string>();
  /** mount point → how many users; the sandbox's own storages count as one. */
  readonly #storages = new Map<string, number>();
  readonly #containerStorages = new Map<string, string[]>();
  readonly crun: Crun;
  readonly cgroups = new CgroupStats();
  readonly oom: OomWatcher;
  readonly sys: SysHelper;
  readonly network: GuestNetwork;
  readonly monitors: MonitorLauncher;

  constructor(
    readonly config: AgentConfig,
    readonly log: Logger,
  ) {
    this.crun = new Crun({ binary: config.crun, root: join(config.stateRoot, 'crun') });
    this.sys = new SysHelper(config.sysHelper);
    this.network = new GuestNetwork(config.ip, log);
    this.oom = new OomWatcher(this.cgroups, () => this.#containers.values(), log);
    this.monitors = new MonitorLauncher(config.monitor, join(config.stateRoot, 'monitor.sock'));
    mkdirSync(join(config.stateRoot, 'io'), { recursive: true });
  }

  /** Set once, by CreateSandbox. */
  get id(): string | undefined {
    return this.#id;
  }

  create(req: SandboxRequest): Promise<void> {
    return this.#state.run('create', () => this.#create(req));
  }

  async #create(req: SandboxRequest): Promise<void> {
    if (req.sandboxId && !ID_PATTERN.test(req.sandboxId)) throw new InvalidArgumentError(`sandbox_id: "${req.sandboxId}" is not a valid id`);
    req.storages.forEach((s, i) => validateStorage(s, `storages[${i}]`));
    // Said, not silently dropped: the guest image loads its own module list at boot.
    if (req.kernelModules.length) this.log.warn({ modules: req.kernelModules }, 'kernel_modules are not loaded by the kata-ts agent yet');
    this.#hostname = req.hostname;
    this.#sharedPidns = req.sandboxPidns;
    const dir = join(this.config.stateRoot, 'sandbox');
    mkdirSync(dir, { recursive: true });
    const files: Record<string, string> = {};
    if (req.hostname) {
      writeFileSync(join(dir, 'hostname'), `${req.hostname}\n`);
      files['/etc/hostname'] = join(dir, 'hostname');
    }
    writeFileSync(join(dir, 'hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${req.hostname ? `127.0.1.1\t${req.hostname}\n` : ''}`);
    files['/etc/hosts'] = join(dir, 'hosts');
    if (req.dns.length) {
      writeFileSync(join(dir, 'resolv.conf'), req.dns.map((l) => `${l}\n`).join(''));
      files['/etc/resolv.conf'] = join(dir, 'resolv.conf');
    }
    for (const s of req.storages) await this.#addStorage(s);
    if (this.config.guest && !loopbackIsUp()) {
      await this.network.loopbackUp().catch((err: unknown) => this.log.warn({ err }, 'loopback up'));
    }
    this.#files = files;
    this.#id = req.sandboxId || 'default';
  }

  /** Removes every container, unmounts storages, and deletes the sandbox's cgroups. */
  destroy(): Promise<void> {
    return this.#state.run('destroy', () => this.#destroy());
  }

  async #destroy(): Promise<void> {
    for (const id of [...this.#containers.keys()]) {
      // One stuck container must not keep the others (and the sandbox's mounts) alive.
      await this.removeContainer(id, DESTROY_TIMEOUT_S).catch((err: unknown) => this.log.error({ err, container: id }, 'remove on destroy'));
    }
    for (const mountPoint of [...this.#storages.keys()].reverse()) await this.#releaseStorage(mountPoint, true);
    if (this.#id) for (const dir of this.cgroups.directories(`/kata/${this.#id}`)) rmdirQuiet(dir);
    for (const dir of this.cgroups.directories('/kata')) rmdirQuiet(dir);
    rmSync(join(this.config.stateRoot, 'sandbox'), { recursive: true, force: true });
    this.oom.close();
    await this.monitors.close();
  }

  container(id: string): Container {
    const c = this.#containers.get(id);
    if (!c) throw new NotFoundError(`container "${id}" not found`);
    return c;
  }

  containers(): Container[] {
    return [...this.#containers.values()];
  }

  async createContainer(req: ContainerRequest): Promise<Container> {
    // Checked, not queued: containers are created side by side (each reserves its id).
    this.#state.check('createContainer');
    const sandboxId = this.#id!;
    const id = req.containerId;
    if (!ID_PATTERN.test(id)) throw new InvalidArgumentError(`container_id: "${id}" is not a valid id`);
    if (this.#containers.has(id) || this.#reserved.has(id)) throw new AlreadyExistsError(`container "${id}" already exists`);
    req.storages.forEach((s, i) => validateStorage(s, `storages[${i}]`));
    this.#reserved.add(id);
    const mounted: string[] = [];
    try {
      const sharePid = this.#sharedPidns || req.sandboxPidns;
      const pidnsOwnerPid = sharePid ? this.#liveOwnerPid(this.#pidnsOwner, 'pid') : undefined;
      const spec = planSpec(req.spec, {
        sandboxId,
        containerId: id,
        sharedDir: this.config.sharedDir,
        pidnsOwnerPid,
        podOwnerPid: this.#podOwner?.init.running ? this.#podOwner.init.pid : undefined,
        hostname: this.#hostname,
        sandboxFiles: this.#files,
        cgroupV2: this.cgroups.version === 2,
      });
      for (const s of req.storages) mounted.push(await this.#addStorage(s));
      const container = await Container.create(id, sandboxId, req.execId || id, spec, {
        crun: this.crun,
        cgroups: this.cgroups,
        monitors: this.monitors,
        bundleDir: join(this.config.stateRoot, 'containers', id),
        newIoDir: () => this.#newIoDir(),
        log: this.log.child({ container: id }),
      });
      this.#containers.set(id, container);
      this.oom.track(container);
      this.#containerStorages.set(id, mounted);
      if (sharePid && !this.#pidnsOwner) this.#pidnsOwner = container;
      this.#podOwner ??= container;
      return container;
    } catch (error) {
      for (const m of mounted.reverse()) await this.#releaseStorage(m, false).catch(() => {});
      throw error;
    } finally {
      this.#reserved.delete(id);
    }
  }

  /**
   * WaitProcess. An OOM kill that ended the process is reported first (GetOOMEvent answers before
   * this does): a whole-cgroup kill (memory.oom.group) can end the container, and the caller then
   * remove it, between two of the watcher's polls.
   */
  async waitProcess(id: string, execId: string): Promise<number> {
    const status = await this.container(id).wait(execId);
    this.oom.poll();
    return status;
  }

  async removeContainer(id: string, timeoutSeconds: number): Promise<void> {
    const container = this.container(id);
    this.oom.poll(); // an OOM kill that ended the container is reported before it goes
    await container.remove(timeoutSeconds);
    this.#containers.delete(id);
    if (this.#pidnsOwner === container) this.#pidnsOwner = undefined;
    if (this.#podOwner === container) this.#podOwner = undefined;
    for (const m of (this.#containerStorages.get(id) ?? []).reverse()) await this.#releaseStorage(m, false);
    this.#containerStorages.delete(id);
  }

  /** GetGuestDetails: memory block size and hotplug probe support. */
  guestDetails(): { memBlockSizeBytes: number; supportMemHotplugProbe: boolean } {
    let memBlockSizeBytes = 0;
    try {
      memBlockSizeBytes = parseInt(readFileSync('/sys/devices/system/memory/block_size_bytes', 'utf8').trim(), 16) || 0;
    } catch {
      // No memory hotplug support in this kernel.
    }
    let supportMemHotplugProbe = false;
    try {
      readFileSync('/sys/devices/system/memory/probe');
      supportMemHotplugProbe = true;
    } catch (error) {
      supportMemHotplugProbe = (error as NodeJS.ErrnoException).code === 'EACCES' || (error as NodeJS.ErrnoException).code === 'EINVAL';
    }
    return { memBlockSizeBytes, supportMemHotplugProbe };
  }

  /** SetGuestDateTime: only inside the VM; on a host the agent must not move the clock. */
  async setDateTime(seconds: number, microseconds: number): Promise<void> {
    if (!this.config.guest) throw new FailedPreconditionError('setting the clock is only allowed with --guest');
    if (!Number.isFinite(seconds) || seconds <= 0 || microseconds < 0 || microseconds >= 1e6) {
      throw new InvalidArgumentError(`sec/usec: ${seconds}.${microseconds} is not a valid time`);
    }
    await this.sys.setTime(seconds, microseconds);
  }

  /** ReseedRandomDev: the host's random bytes into the guest RNG (a VM resumed from a template). */
  async reseedRandom(data: Uint8Array): Promise<void> {
    if (!this.config.guest) throw new FailedPreconditionError('reseeding the RNG is only allowed with --guest');
    if (data.length === 0 || data.length > 4096) throw new InvalidArgumentError(`data: ${data.length} bytes; 1 to 4096 expected`);
    await this.sys.reseedRandom(data);
  }

  #liveOwnerPid(owner: Container | undefined, what: string): number | undefined {
    if (!owner) return undefined;
    if (!owner.init.running) throw new FailedPreconditionError(`the sandbox ${what} namespace is gone: container ${owner.id} exited`);
    return owner.init.pid;
  }

  #newIoDir(): string {
    const dir = join(this.config.stateRoot, 'io', String(++this.#ioSeq));
    removeProcessDir(dir); // one left by an agent that ran before in this root
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** Mounts a storage unless something is mounted there already; returns its mount point. */
  async #addStorage(s: GuestStorage): Promise<string> {
    const users = this.#storages.get(s.mountPoint);
    if (users !== undefined) {
      this.#storages.set(s.mountPoint, users + 1);
    } else if (isMountPoint(s.mountPoint)) {
      // Mounted by the guest init (e.g. kataShared): use it, never unmount it.
      this.#storages.set(s.mountPoint, Number.POSITIVE_INFINITY);
    } else {
      await mountStorage(this.sys, s);
      this.#storages.set(s.mountPoint, 1);
    }
    return s.mountPoint;
  }

  async #releaseStorage(mountPoint: string, all: boolean): Promise<void> {
    const users = this.#storages.get(mountPoint);
    if (users === undefined) return;
    if (users === Number.POSITIVE_INFINITY) {
      if (all) this.#storages.delete(mountPoint);
      return;
    }
    if (users > 1 && !all) return void this.#storages.set(mountPoint, users - 1);
    this.#storages.delete(mountPoint);
    await this.sys.unmount(mountPoint);
  }
}

function rmdirQuiet(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Still in use or already gone.
  }
}
