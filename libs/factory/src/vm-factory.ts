import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QemuHypervisor, TEMPLATE_MEMORY_FILE, TEMPLATE_STATE_FILE, type VmConfig } from '@kata-ts/hypervisor';
import { connectAgent } from '@kata-ts/agent-client';
import { createLogger, outputTail, type Logger } from '@kata-ts/logging';
import { FactoryError } from './factory-error';
import { replacedSince, templateInputs, templateKey, type TemplateInputs } from './template-key';
import { withLock } from './template-lock';

const CONFIG_FILE = 'config.json';
const QEMU_PID_FILE = 'qemu.pid';
const DEFAULT_TIMEOUT_MS = 120_000;

export interface VmFactoryOptions {
  /** Kata's `[factory] template_path`: one template directory per VM configuration under it. */
  templatePath: string;
  /** How long making a template may take: a cold boot until the agent answers, then the save. */
  timeoutMs?: number;
  logger?: Logger;
  /**
   * Called before the template's QEMU is spawned: a caller that may die meanwhile (a shim) records
   * it, so whoever cleans up after it can end that QEMU with `reapTemplateMaking`.
   */
  onMaking?: (making: TemplateMaking) => void;
}

/** Where a template is being made: the maker's work dir (its QEMU's pid file inside) and the lock it holds. */
export interface TemplateMaking {
  work: string;
  lock: string;
}

/** A template on disk, as `kata-runtime factory status` shows it. */
export interface TemplateInfo {
  key: string;
  dir: string;
  createdAt: string;
  inputs: TemplateInputs;
  /** Host memory the template holds (its memory file's allocated blocks; tmpfs is RAM). */
  memoryBytes: number;
}

interface TemplateRecord {
  createdAt: string;
  inputs: TemplateInputs;
}

/**
 * Kata's VM factory with `enable_template`: the first VM of a configuration boots cold once, is
 * saved when its agent answers, and every later VM of that configuration resumes from the saved
 * template (QemuHypervisor, template.role 'restore') instead of booting: its RAM maps the
 * template's memory copy-on-write, so clones also share the guest's unchanged pages. The
 * template is keyed by everything QEMU needs to be equal (kernel, initrd, sizes, devices,
 * kernel command line), so a changed configuration gets a new template rather than a wrong one.
 */
export class VmFactory {
  readonly #path: string;
  readonly #timeoutMs: number;
  readonly #log: Logger;
  readonly #onMaking: ((making: TemplateMaking) => void) | undefined;

  constructor(options: VmFactoryOptions) {
    if (!options.templatePath.startsWith('/')) throw new FactoryError('UNSUPPORTED', `template_path must be an absolute path, got ${JSON.stringify(options.templatePath)}`);
    this.#path = options.templatePath;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#log = options.logger ?? createLogger({ name: 'factory' });
    this.#onMaking = options.onMaking;
  }

  /** The template directory for VMs like `config`, made first if there is none. */
  async template(config: VmConfig): Promise<string> {
    if (config.vsock) throw new FactoryError('UNSUPPORTED', 'VM templates do not support vhost-vsock (each clone needs its own guest CID)');
    if (config.template) throw new FactoryError('UNSUPPORTED', 'the config already names a template');
    const inputs = templateInputs(config);
    const key = templateKey(inputs);
    const dir = join(this.#path, key);
    if (complete(dir)) return dir;
    mkdirSync(this.#path, { recursive: true, mode: 0o700 });
    const lock = join(this.#path, `.${key}.lock`);
    return withLock(
      lock,
      this.#timeoutMs,
      async () => {
        if (!complete(dir)) await this.#make(config, inputs, dir, lock);
        return dir;
      },
      (deadPid) => {
        reapTemplateMaking({ work: join(this.#path, `.${key}.${deadPid}`), lock }, deadPid);
        this.#log.warn({ deadPid, lock }, 'removed what a dead template maker left');
      },
    );
  }

  /** Boots one VM of this configuration, saves it once its agent answers, publishes it as `dir`. */
  async #make(config: VmConfig, inputs: TemplateInputs, dir: string, lock: string): Promise<void> {
    const started = performance.now();
    const key = templateKey(inputs);
    // Built aside and renamed into place: a clone only ever sees a complete template.
    const work = join(this.#path, `.${key}.${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(work, 'shared'), { recursive: true });
    const consoleLog = join(work, 'console.log');
    this.#onMaking?.({ work, lock });
    // Recorded in the tick QEMU is spawned: whoever reaps this maker, should it die, stops this QEMU.
    const vm = new QemuHypervisor({ logger: this.#log, onSpawn: (pid) => writeFileSync(join(work, QEMU_PID_FILE), String(pid)) });
    try {
      await vm.start({
        ...config,
        id: `template-${key}`,
        agentSocket: join(work, 'agent.sock'),
        qmpSocket: join(work, 'qmp.sock'),
        consoleLog,
        shares: config.shares?.map((share) => ({ ...share, hostPath: join(work, 'shared') })),
        template: { dir: work, role: 'save' },
      });
      // Ready when the agent answers; the template is saved with no host attached.
      await (await connectAgent(vm.agentChannel(), { timeoutMs: this.#timeoutMs, log: this.#log })).close();
      await vm.saveTemplate();
    } catch (err) {
      const console = existsSync(consoleLog) ? outputTail(readFileSync(consoleLog, 'utf8'), 10) : '';
      rmSync(work, { recursive: true, force: true });
      throw new FactoryError('TEMPLATE_FAILED', `making the VM template failed: ${(err as Error).message}${console ? `; guest console: ${console}` : ''}`, { cause: err });
    } finally {
      if (vm.pid !== undefined) await vm.stop({ timeoutMs: 5000 }).catch(() => undefined);
    }
    for (const name of ['shared', 'console.log', 'agent.sock', 'qmp.sock', QEMU_PID_FILE]) rmSync(join(work, name), { recursive: true, force: true });
    const record: TemplateRecord = { createdAt: new Date().toISOString(), inputs };
    writeFileSync(join(work, CONFIG_FILE), `${JSON.stringify(record, null, 2)}\n`);
    renameSync(work, dir);
    this.#log.info({ template: dir, ms: Math.round(performance.now() - started) }, 'VM template made');
    try {
      this.#pruneReplaced();
    } catch (err) {
      // Another process removing templates at the same moment; the new template stands.
      this.#log.warn({ err }, 'pruning replaced templates failed');
    }
  }

  /**
   * Templates of a QEMU, kernel or initrd since replaced (an upgrade) can never be used again, and
   * each holds guest RAM: remove them. Templates of other, still valid configurations stay.
   */
  #pruneReplaced(): void {
    for (const t of this.list()) {
      const { qemu, kernel, initrd, image } = t.inputs;
      if (![qemu, kernel, initrd, ...(image ? [image] : [])].some(replacedSince)) continue;
      rmSync(t.dir, { recursive: true, force: true });
      this.#log.info({ template: t.dir }, 'removed a template of replaced files');
    }
  }

  /** Every complete template under template_path. */
  list(): TemplateInfo[] {
    if (!existsSync(this.#path)) return [];
    return readdirSync(this.#path)
      .filter((name) => !name.startsWith('.') && complete(join(this.#path, name)))
      .sort()
      .map((key) => {
        const dir = join(this.#path, key);
        const record = JSON.parse(readFileSync(join(dir, CONFIG_FILE), 'utf8')) as TemplateRecord;
        return { key, dir, ...record, memoryBytes: statSync(join(dir, TEMPLATE_MEMORY_FILE)).blocks * 512 };
      });
  }

  /**
   * Removes every template and leftover of an interrupted one. Running clones are unaffected:
   * they loaded the state at start and map the memory privately, which keeps it alive.
   */
  destroy(): string[] {
    if (!existsSync(this.#path)) return [];
    const removed = readdirSync(this.#path).map((name) => join(this.#path, name));
    for (const path of removed) rmSync(path, { recursive: true, force: true });
    return removed;
  }
}

/**
 * Ends what the template maker `makerPid`, now dead, left of `making`: its QEMU (if the recorded
 * pid still is that QEMU: pids get reused), its work dir, and the lock if it still holds it.
 */
export function reapTemplateMaking(making: TemplateMaking, makerPid: number): void {
  try {
    const pid = Number(readFileSync(join(making.work, QEMU_PID_FILE), 'utf8'));
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(making.work)) process.kill(pid, 'SIGKILL');
  } catch {
    // no pid recorded, or that QEMU is gone already
  }
  rmSync(making.work, { recursive: true, force: true });
  try {
    if (readFileSync(making.lock, 'utf8').trim() === String(makerPid)) rmSync(making.lock, { force: true });
  } catch {
    // released, or never taken
  }
}

function complete(dir: string): boolean {
  return [TEMPLATE_MEMORY_FILE, TEMPLATE_STATE_FILE, CONFIG_FILE].every((file) => existsSync(join(dir, file)));
}
