import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import type { KataConfig } from '@kata-ts/config';
import { SHARED_DIR_TAG } from '@kata-ts/factory';
import type { Logger } from '@kata-ts/logging';
import type { types } from '@kata-ts/protocols';
import { createDialer } from '@kata-ts/vsock';
import type { AgentClient } from '../agent/agent-client';
import { TtrpcAgentClient } from '../agent/ttrpc-agent-client';
import { SandboxTimeoutError, SandboxUnavailableError } from '../errors';
import type { SandboxPaths } from '../run-paths';
import type { OciMount, OciSpec } from '@kata-ts/oci';
import { GUEST_SHARED_DIR, mountContainerRootfs, unmountContainerRootfs } from './container-rootfs';
import { unmountAll } from './mount-table';
import { ProxyProcess } from './proxy-process';
import type { SandboxHandle } from './sandbox-handle';
import { writeSandboxState } from './sandbox-state';
import { sandboxSize } from './sandbox-size';
import { shareContainerMounts } from './share-mounts';
import type { Vm, VmLauncher } from './vm';

export const AGENT_VSOCK_PORT = 1024;
const STOP_TIMEOUT_MS = 5_000;
/** Host random bytes for a template clone's RNG: far more than its 256-bit key needs. */
const RESEED_BYTES = 512;

export interface SandboxOptions {
  id: string;
  config: KataConfig;
  paths: SandboxPaths;
  /** The sandbox container's spec: sizes (limits) and hostname. */
  spec: OciSpec;
  launchVm: VmLauncher;
  log: Logger;
  /** Called once if the VM or the proxy goes away while the sandbox is up. */
  onDied(reason: string): void;
}

/**
 * One pod's VM: QEMU, kata-proxy on its agent channel, and the agent client. Owns the shared
 * directory (exported with virtio-9p) and every mount in it. Create boots and waits for the
 * agent (bounded by agent.dial_timeout); stop tears everything down, whatever state it is in.
 */
export class Sandbox implements SandboxHandle {
  readonly #containers = new Map<string, string>();
  #stopping: Promise<void> | undefined;
  #onDied: ((reason: string) => void) | undefined;

  private constructor(
    readonly id: string,
    readonly paths: SandboxPaths,
    readonly agent: AgentClient,
    readonly vm: Vm,
    readonly proxy: ProxyProcess,
    readonly log: Logger,
    readonly configPath: string,
  ) {}

  get pid(): number {
    return this.vm.pid;
  }

  static async create(o: SandboxOptions): Promise<Sandbox> {
    const { paths, config, log } = o;
    rmSync(paths.dir, { recursive: true, force: true });
    mkdirSync(paths.shared, { recursive: true });
    const size = sandboxSize(config.hypervisor, o.spec);
    const dialTimeoutMs = config.agent.dialTimeout * 1000;
    let vm: Vm | undefined;
    let proxy: ProxyProcess | undefined;
    let agent: AgentClient | undefined;
    const deadline = Date.now() + dialTimeoutMs;
    const templatePath = templatePathFor(config, size, log);
    try {
      vm = await o.launchVm({
        sandboxId: o.id,
        config,
        ...size,
        sharedDir: paths.shared,
        channelSocket: paths.channel,
        qmpSocket: paths.qmp,
        logFile: paths.qemuLog,
        templatePath,
        templateTimeoutMs: dialTimeoutMs,
        debug: config.hypervisor.enableDebug || config.runtime.enableDebug,
        log,
      });
      log.info({ vmPid: vm.pid, accelerator: vm.accelerator, template: vm.template, ...size }, 'VM started');
      const vmGone = vm.exited.then(() => {
        throw new SandboxUnavailableError(`the VM exited during boot: ${tail(paths.qemuLog)}`);
      });
      vmGone.catch(() => undefined); // only raced during boot; the VM exiting later is normal
      proxy = await Promise.race([
        ProxyProcess.start({
          path: config.proxy.path,
          sandboxId: o.id,
          channelSocket: paths.channel,
          listenSocket: paths.proxy,
          logFile: paths.proxyLog,
          timeoutMs: Math.max(1, deadline - Date.now()),
        }),
        vmGone,
      ]);
      agent = await Promise.race([connectAgent(paths.proxy, deadline, log), vmGone]);
      // A clone woke with its template's clock and random state (Kata does the same two calls;
      // vmgenid has the kernel reseed as well).
      if (vm.template) {
        await agent.setGuestDateTime(new Date());
        await agent.reseedRandomDev(randomBytes(RESEED_BYTES));
      }
      await agent.createSandbox({
        sandboxId: o.id,
        hostname: o.spec.hostname ?? '',
        dns: [],
        sandboxPidns: false,
        kernelModules: config.agent.kernelModules,
        storages: [
          {
            driver: '9p',
            source: SHARED_DIR_TAG,
            fstype: '9p',
            options: ['trans=virtio', 'version=9p2000.L', 'cache=mmap', 'msize=262144'],
            mountPoint: GUEST_SHARED_DIR,
          },
        ],
      });
    } catch (err) {
      agent?.close();
      await proxy?.stop();
      await vm?.stop(STOP_TIMEOUT_MS);
      await unmountAll(paths.shared);
      rmSync(paths.dir, { recursive: true, force: true });
      throw err;
    }
    const sandbox = new Sandbox(o.id, paths, agent, vm, proxy, log, config.source.path);
    sandbox.#saveState();
    void vm.exited.then(() => sandbox.#died('the VM (QEMU) exited'));
    void proxy.exited.then(() => sandbox.#died('kata-proxy exited'));
    sandbox.#onDied = o.onDied;
    return sandbox;
  }

  #died(reason: string): void {
    if (this.#stopping) return;
    this.log.error({ reason }, 'sandbox died');
    const onDied = this.#onDied;
    this.#onDied = undefined;
    onDied?.(reason);
  }

  /** Mounts a container's rootfs into the share; returns its guest path. */
  async mountRootfs(containerId: string, bundle: string, mounts: types.Mount[]): Promise<string> {
    const guestPath = await mountContainerRootfs(bundle, this.paths.shared, containerId, mounts);
    this.#containers.set(containerId, bundle);
    this.#saveState();
    return guestPath;
  }

  /** Binds the container's host mounts into the share; returns the mounts as the guest sees them. */
  async shareMounts(containerId: string, mounts: OciMount[]): Promise<OciMount[]> {
    return shareContainerMounts(this.paths.shared, containerId, mounts);
  }

  async unmountRootfs(containerId: string): Promise<void> {
    const bundle = this.#containers.get(containerId);
    if (bundle === undefined) return;
    await unmountContainerRootfs(bundle, this.paths.shared, containerId);
    this.#containers.delete(containerId);
    this.#saveState();
  }

  /** Tears the sandbox down: agent, VM (quit, then kill), proxy, mounts, state. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    // No DestroySandbox: the VM is going away with everything in it, and waiting for the guest to
    // tidy up first costs a round trip through a busy (TCG) VM.
    this.agent.close();
    await Promise.all([this.vm.stop(STOP_TIMEOUT_MS), this.proxy.stop()]);
    for (const id of [...this.#containers.keys()]) await this.unmountRootfs(id);
    await unmountAll(this.paths.shared);
    rmSync(this.paths.dir, { recursive: true, force: true });
    this.log.info('sandbox stopped');
  }

  #saveState(): void {
    if (!existsSync(this.paths.dir)) return;
    writeSandboxState(this.paths.state, {
      sandboxId: this.id,
      shimPid: process.pid,
      vmPid: this.vm.pid,
      proxyPid: this.proxy.pid,
      containers: Object.fromEntries(this.#containers),
      configPath: this.configPath,
    });
  }
}

/**
 * Where the VM's template lives, if templating applies: enabled, and a VM of the default size
 * (templates are made at that size; Kata hotplugs the rest, kata-ts boots a bigger pod cold).
 */
function templatePathFor(config: KataConfig, size: { vcpus: number; memoryMiB: number }, log: Logger): string | undefined {
  if (!config.factory.enableTemplate) return undefined;
  const q = config.hypervisor;
  if (size.vcpus === q.defaultVcpus && size.memoryMiB === q.defaultMemory) return config.factory.templatePath;
  log.info({ ...size, defaultVcpus: q.defaultVcpus, defaultMemory: q.defaultMemory }, 'VM larger than the template size: booting cold');
  return undefined;
}

async function connectAgent(proxySocket: string, deadline: number, log: Logger): Promise<AgentClient> {
  const uri = `hvsock://${proxySocket}:${AGENT_VSOCK_PORT}`;
  const timeoutMs = Math.max(1, deadline - Date.now());
  let stream;
  try {
    stream = await createDialer(uri, { timeoutMs }).dial({ timeoutMs });
  } catch (err) {
    throw new SandboxTimeoutError(`the agent did not answer on ${uri} within agent.kata.dial_timeout: ${(err as Error).message}`, err);
  }
  const agent = new TtrpcAgentClient(stream, log);
  try {
    await agent.check(Math.max(1_000, deadline - Date.now()));
  } catch (err) {
    agent.close();
    throw new SandboxTimeoutError(`the agent did not pass its health check: ${(err as Error).message}`, err);
  }
  log.info({ uri }, 'agent ready');
  return agent;
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-5).join(' | ') || '(QEMU log empty)';
  } catch {
    return '(no QEMU log)';
  }
}
