import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { outputTail, type Logger } from '@kata-ts/logging';
import { AGENT_PORT } from '@kata-ts/guest-contract';
import type { AgentChannel } from '@kata-ts/agent-transport';
import { GUEST_MEMORY_BLOCK_MIB } from '../guest-boot';
import type { Hypervisor, HypervisorCapabilities, VmExit } from '../hypervisor';
import { HypervisorError } from '../hypervisor-error';
import { TEMPLATE_MEMORY_FILE, TEMPLATE_STATE_FILE, type NetworkInterface, type VmConfig } from '../vm-config';
import { DEFAULT_QEMU_PATH, netdevArguments, nicDeviceArguments, qemuCommandLine, shellQuote } from './command-line';
import { QmpClient } from './qmp-client';

const QMP_WAIT_MS = 10_000;
const MiB = 1024 * 1024;
const NSENTER = '/usr/bin/nsenter';
const UNSHARE = '/usr/bin/unshare';
/** Template RAM is a shared file both sides map: migration carries only the device state. */
const IGNORE_SHARED_RAM = { capabilities: [{ capability: 'x-ignore-shared', state: true }] };

export interface QemuOptions {
  logger?: Logger;
  /**
   * Called with QEMU's pid in the tick it was spawned, before anything is awaited: the shim records
   * it there, so a shim killed at any later moment leaves a VM `shim delete` can find.
   */
  onSpawn?: (pid: number) => void;
}

/** QEMU as a child process of the shim, controlled over QMP. */
export class QemuHypervisor implements Hypervisor {
  #config: VmConfig | undefined;
  #child: ChildProcess | undefined;
  #qmp: QmpClient | undefined;
  #exit: Promise<VmExit> | undefined;
  #stderr = '';
  /** Hot-plugged RAM and DIMMs, counted before QMP is asked, so concurrent calls cannot overbook. */
  #hotpluggedMiB = 0;
  #dimms = 0;
  /** DIMM and backend ids are never reused: a failed plug may leave its backend behind. */
  #nextDimm = 0;
  readonly #log: Logger | undefined;
  readonly #onSpawn: ((pid: number) => void) | undefined;

  constructor(options: QemuOptions = {}) {
    this.#log = options.logger;
    this.#onSpawn = options.onSpawn;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get config(): VmConfig | undefined {
    return this.#config;
  }

  /** The argv QEMU was started with (for logs and `kata-runtime env`). */
  get commandLine(): string[] {
    return this.#config ? launchCommand(this.#config) : [];
  }

  async start(config: VmConfig): Promise<void> {
    if (this.#child) throw new HypervisorError('START_FAILED', `VM ${config.id} already started`);
    const [command, ...args] = launchCommand(config);
    if (typeof config.netns === 'object' && !existsSync(config.netns.path)) throw new HypervisorError('BAD_CONFIG', `network namespace ${config.netns.path} does not exist`);
    // QEMU would create a missing memory file: an empty guest, not a clone.
    if (config.template?.role === 'restore')
      for (const file of [TEMPLATE_MEMORY_FILE, TEMPLATE_STATE_FILE])
        if (!existsSync(join(config.template.dir, file)))
          throw new HypervisorError('BAD_CONFIG', `template ${config.template.dir} has no ${file} file (make it with saveTemplate)`);
    // Stale sockets from a crashed run would make QEMU fail to bind.
    for (const path of [config.qmpSocket, config.agentSocket]) rmSync(path, { force: true });
    this.#config = config;
    this.#log?.info({ vm: config.id, command, args }, 'starting QEMU');
    const child = spawn(command!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    if (child.pid !== undefined) this.#onSpawn?.(child.pid);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      this.#stderr = (this.#stderr + d).slice(-4096);
    });
    this.#exit = new Promise<VmExit>((resolve) => {
      // A binary that never ran "exits" too, so wait() and stop() cannot hang on it.
      child.once('error', () => child.pid === undefined && resolve({ code: null, signal: null }));
      child.once('exit', (code, signal) => {
        this.#log?.info({ vm: config.id, code, signal, stderr: this.#stderr.trim() || undefined }, 'QEMU exited');
        this.#qmp?.close();
        resolve({ code, signal });
      });
    });
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (cause) => reject(new HypervisorError('START_FAILED', `${command}: ${cause.message}`, { cause })));
    });
    await spawned;
    try {
      this.#qmp = await this.#connectQmp(config.qmpSocket);
    } catch (err) {
      child.kill('SIGKILL');
      await this.#exit;
      throw new HypervisorError('START_FAILED', `QEMU did not come up: ${outputTail(this.#stderr) || (err as Error).message}`, { cause: err });
    }
    if (config.template?.role === 'restore') {
      try {
        await this.#restore(config.template.dir);
      } catch (err) {
        child.kill('SIGKILL');
        await this.#exit;
        throw err;
      }
    }
  }

  /**
   * Loads the template's device state (its RAM is already mapped: x-ignore-shared skips it), then
   * resumes the guest, which was saved paused.
   */
  async #restore(dir: string): Promise<void> {
    const qmp = this.qmp();
    await qmp.execute('migrate-set-capabilities', IGNORE_SHARED_RAM);
    await qmp.execute('migrate-incoming', { uri: `exec:cat ${shellQuote(join(dir, TEMPLATE_STATE_FILE))}` });
    for (;;) {
      const { status } = await qmp.execute<{ status: string }>('query-status');
      if (status === 'inmigrate') {
        await sleep(5);
        continue;
      }
      if (status !== 'paused' && status !== 'postmigrate' && status !== 'running')
        throw new HypervisorError('START_FAILED', `restoring the template ${dir} left the VM ${status}: ${outputTail(this.#stderr)}`);
      break;
    }
    await qmp.execute('cont');
    await this.hotplugNics(this.#config?.nics ?? []);
  }

  async hotplugNics(nics: NetworkInterface[]): Promise<void> {
    const qmp = this.qmp();
    for (const nic of nics) {
      await qmp.execute('netdev_add', netdevArguments(nic));
      await qmp.execute('device_add', nicDeviceArguments(nic));
    }
  }

  memoryMiB(): number {
    return this.#config ? this.#config.memoryMiB + this.#hotpluggedMiB : 0;
  }

  async hotplugMemory(mib: number): Promise<number> {
    const config = this.#config;
    if (!config) throw new HypervisorError('NOT_RUNNING', 'VM never started');
    const size = Math.ceil(mib / GUEST_MEMORY_BLOCK_MIB) * GUEST_MEMORY_BLOCK_MIB;
    const room = config.memoryHotplug;
    const what = `cannot add ${size} MiB to VM ${config.id}`;
    if (!room) throw new HypervisorError('NO_CAPACITY', `${what}: it was started without memory hot-plug (${config.memoryMiB} MiB fixed)`);
    if (this.#dimms >= room.slots) throw new HypervisorError('NO_CAPACITY', `${what}: all ${room.slots} of its memory slots are in use`);
    const total = this.memoryMiB() + size;
    if (total > room.maxMiB) throw new HypervisorError('NO_CAPACITY', `${what}: it has ${this.memoryMiB()} MiB and its maximum is ${room.maxMiB} MiB`);
    const qmp = this.qmp();
    const id = this.#nextDimm++;
    this.#dimms++;
    this.#hotpluggedMiB += size;
    try {
      // Like the boot RAM: a private memfd (KSM can merge it; no transparent huge pages).
      await qmp.execute('object-add', { 'qom-type': 'memory-backend-memfd', id: `hotmem${id}`, size: size * MiB, share: false });
      await qmp.execute('device_add', { driver: 'pc-dimm', id: `dimm${id}`, memdev: `hotmem${id}` });
    } catch (err) {
      this.#dimms--;
      this.#hotpluggedMiB -= size;
      await qmp.execute('object-del', { id: `hotmem${id}` }).catch(() => undefined);
      throw err;
    }
    this.#log?.info({ vm: config.id, addedMiB: size, memoryMiB: total }, 'memory hot-plugged');
    return size;
  }

  /**
   * Saves this VM as a template (Kata's VM templating): pauses it and writes its device state
   * next to its memory file. Only for a VM started with `template.role: 'save'`; take it once
   * the agent is ready and no host is connected to the agent channel. The VM stays paused: stop
   * it afterwards, and never write to the memory file again (clones map it).
   */
  async saveTemplate(): Promise<void> {
    const template = this.#config?.template;
    if (template?.role !== 'save') throw new HypervisorError('BAD_CONFIG', 'saveTemplate needs a VM started with template.role "save"');
    const qmp = this.qmp();
    const state = join(template.dir, TEMPLATE_STATE_FILE);
    await qmp.execute('stop');
    await qmp.execute('migrate-set-capabilities', IGNORE_SHARED_RAM);
    await qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(`${state}.partial`)}` });
    for (;;) {
      const status = await qmp.execute<{ status: string; 'error-desc'?: string }>('query-migrate');
      if (status.status === 'completed') break;
      if (status.status === 'failed' || status.status === 'cancelled')
        throw new HypervisorError('QMP_ERROR', `saving the template to ${template.dir} ${status.status}: ${status['error-desc'] ?? ''}`);
      await sleep(20);
    }
    // Complete or absent: a clone never loads half a state.
    renameSync(`${state}.partial`, state);
  }

  /** QEMU creates the QMP socket during start-up; retry until it accepts or QEMU dies. */
  async #connectQmp(path: string): Promise<QmpClient> {
    const deadline = Date.now() + QMP_WAIT_MS;
    let exited = false;
    void this.#exit?.then(() => (exited = true));
    for (;;) {
      if (exited) throw new HypervisorError('START_FAILED', 'QEMU exited during start-up');
      if (existsSync(path)) {
        try {
          return await QmpClient.connect(path, { timeoutMs: Math.max(1000, deadline - Date.now()) });
        } catch (err) {
          if (Date.now() > deadline) throw err;
        }
      }
      if (Date.now() > deadline) throw new HypervisorError('TIMEOUT', `no QMP socket at ${path} after ${QMP_WAIT_MS} ms`);
      await sleep(10);
    }
  }

  /** The QMP connection, for callers that need more than the lifecycle (hotplug, query-status). */
  qmp(): QmpClient {
    if (!this.#qmp || this.#qmp.closed) throw new HypervisorError('NOT_RUNNING', 'VM not running');
    return this.#qmp;
  }

  async stop(options: { timeoutMs?: number } = {}): Promise<VmExit> {
    const exit = this.#exit;
    const child = this.#child;
    if (!exit || !child) throw new HypervisorError('NOT_RUNNING', 'VM never started');
    if (child.exitCode !== null || child.signalCode !== null) return exit;
    const timeoutMs = options.timeoutMs ?? 5000;
    const timer = setTimeout(() => {
      this.#log?.warn({ vm: this.#config?.id, timeoutMs }, 'QEMU ignored quit; killing it');
      child.kill('SIGKILL');
    }, timeoutMs);
    // The exit is what counts, not quit's reply: QEMU may close the socket before it, and a stopped
    // or hung QEMU never sends one.
    this.#qmp?.execute('quit').catch(() => {});
    try {
      return await exit;
    } finally {
      clearTimeout(timer);
      this.#removeSockets();
    }
  }

  wait(): Promise<VmExit> {
    if (!this.#exit) return Promise.reject(new HypervisorError('NOT_RUNNING', 'VM never started'));
    return this.#exit;
  }

  agentChannel(): AgentChannel {
    const config = this.#config;
    if (!config) throw new HypervisorError('NOT_RUNNING', 'VM never started');
    if (config.vsock) return { kind: 'vsock', cid: config.vsock.guestCid, port: AGENT_PORT };
    return { kind: 'serial', socketPath: config.agentSocket, port: AGENT_PORT };
  }

  capabilities(): HypervisorCapabilities {
    return { vsock: existsSync('/dev/vhost-vsock'), sharedDirs: true };
  }

  #removeSockets(): void {
    if (!this.#config) return;
    for (const path of [this.#config.qmpSocket, this.#config.agentSocket]) rmSync(path, { force: true });
  }
}

/**
 * QEMU's argv, in the network namespace the config names: Node cannot setns(2) or unshare(2);
 * nsenter(1) and unshare(1) do, then exec QEMU, so the pid is still QEMU's.
 */
function launchCommand(config: VmConfig): string[] {
  const qemu = [config.qemuPath ?? DEFAULT_QEMU_PATH, ...qemuCommandLine(config)];
  if (config.netns === 'new') return [UNSHARE, '--net', '--', ...qemu];
  if (config.netns) return [NSENTER, `--net=${config.netns.path}`, '--', ...qemu];
  return qemu;
}
