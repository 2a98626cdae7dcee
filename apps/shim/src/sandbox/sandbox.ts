import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { AgentConnectError, connectAgent, type AgentClient } from '@kata-ts/agent-client';
import type { AgentChannel, GuestEndpoint } from '@kata-ts/agent-transport';
import { startSandboxVm } from '@kata-ts/factory';
import { sharedDirStorage } from '@kata-ts/guest-contract';
import type { Hypervisor } from '@kata-ts/hypervisor';
import { outputTail, type Logger } from '@kata-ts/logging';
import type { OciMount } from '@kata-ts/oci';
import type { types } from '@kata-ts/protocols';
import { DeadlineExceededError, InvalidArgumentError, UnavailableError } from '@kata-ts/errors';
import { runDir, type SandboxPaths } from '../run-paths';
import { BootBudget } from './boot-budget';
import { mountContainerRootfs, unmountContainerRootfs } from './container-rootfs';
import { unmountAll } from './mount-table';
import { startGateway, type ChannelGateway } from './channel-gateway';
import type { SandboxHandle, SandboxOptions } from './sandbox-handle';
import { writeSandboxState, type SandboxState } from './sandbox-state';
import { MemoryFit, sandboxSize } from './sandbox-size';
import { shareContainerMounts } from './share-mounts';
import { podNetns, SandboxNetwork, type PodNetns } from '../network/sandbox-network';

const STOP_TIMEOUT_MS = 5_000;
/** Host random bytes for a template clone's RNG: far more than its 256-bit key needs. */
const RESEED_BYTES = 512;

/**
 * One pod's VM: QEMU, what holds its agent channel (the shim itself or kata-proxy), and the agent
 * client. Owns the shared directory (exported with virtio-9p) and every mount in it. Create boots
 * and waits for the agent (bounded by agent.dial_timeout); stop tears everything down, whatever
 * state it is in.
 */
export class Sandbox implements SandboxHandle {
  readonly #containers = new Map<string, string>();
  #stopping: Promise<void> | undefined;
  #onDied: ((reason: string) => void) | undefined;
  #network: SandboxNetwork | undefined;
  /** Dynamic memory sizing; none with static_sandbox_resource_mgmt. */
  #memory: MemoryFit | undefined;

  private constructor(
    readonly id: string,
    readonly paths: SandboxPaths,
    readonly agent: AgentClient,
    readonly vm: Hypervisor,
    /** kata-proxy or the shim's own, when the VM's agent channel is serial (no vhost-vsock on the host). */
    readonly gateway: ChannelGateway | undefined,
    /** Where the agent is reached: what `kata-runtime exec` dials too. */
    readonly agentChannel: AgentChannel,
    readonly log: Logger,
    readonly configPath: string,
    readonly netns: PodNetns,
  ) {}

  get pid(): number {
    return this.vm.pid ?? 0;
  }

  static async create(o: SandboxOptions): Promise<Sandbox> {
    const { paths, config, log, phases } = o;
    // Refused before anything exists: a pod on the host's network, a namespace that is not there.
    const netns = podNetns(o.spec);
    rmSync(paths.dir, { recursive: true, force: true });
    // Root only: the share holds every container's rootfs, the sockets reach the VM and the agent.
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    chmodSync(paths.dir, 0o700);
    mkdirSync(paths.shared);
    // Written before anything is made, and again the moment the pod's taps, a VM template's making,
    // QEMU or kata-proxy exist: `shim delete` finds and undoes each of them from here, whenever the
    // shim dies.
    const booting: SandboxState = { sandboxId: o.id, shimPid: process.pid, vmPid: 0, proxyPid: 0, containers: {}, configPath: config.source.path };
    const record = (made: Partial<SandboxState>) => writeSandboxState(paths.state, Object.assign(booting, made));
    record({});
    const size = sandboxSize(config, o.spec);
    const dialTimeoutMs = config.agent.dialTimeout * 1000;
    let vm: Hypervisor | undefined;
    let gateway: ChannelGateway | undefined;
    let agent: AgentClient | undefined;
    let network: SandboxNetwork | undefined;
    const budget = new BootBudget(dialTimeoutMs);
    try {
      if (netns.kind === 'path') {
        network = await SandboxNetwork.attach(netns.path, log);
        if (!network) throw new InvalidArgumentError(`network namespace ${netns.path} has no interface to connect to the VM (only lo)`);
        record({ network: network.record });
      }
      vm = await startSandboxVm(
        config,
        {
          id: o.id,
          ...size,
          sharedDir: paths.shared,
          channelSocket: paths.channel,
          qmpSocket: paths.qmp,
          logFile: paths.qemuLog,
          netns: netns.kind === 'path' ? { path: netns.path } : 'new',
          nics: network?.nics,
        },
        {
          cacheDir: runDir(),
          templateTimeoutMs: dialTimeoutMs,
          log,
          onSpawn: (vmPid) => record({ vmPid }),
          onTemplateMaking: (templateMaking) => record({ templateMaking }),
        },
      );
      budget.watch(vm.pid);
      const template = vm.config?.template?.dir;
      phases.mark('VM started', { vmPid: vm.pid, accelerator: vm.config?.accelerator, template, ...size });
      const vmGone = vm.wait().then(() => {
        throw new UnavailableError(`the VM exited during boot: ${tail(paths.qemuLog)}`);
      });
      vmGone.catch(() => undefined); // only raced during boot; the VM exiting later is normal
      let channel = vm.agentChannel();
      let agentRoute: AgentChannel | GuestEndpoint = channel;
      if (channel.kind === 'serial') {
        // No vhost-vsock: kata-proxy or the shim holds QEMU's serial channel and serves hybrid vsock.
        gateway = await Promise.race([
          startGateway({
            proxyPath: config.proxy.path,
            channel,
            listenSocket: paths.proxy,
            sandboxId: o.id,
            logFile: paths.proxyLog,
            timeoutMs: Math.max(1, budget.remainingMs()),
            log,
            onSpawn: (proxyPid) => record({ proxyPid }),
          }),
          vmGone,
        ]);
        channel = { kind: 'hybrid-vsock', socketPath: paths.proxy, port: channel.port };
        agentRoute = gateway.agentRoute;
        phases.mark(gateway.pid ? 'kata-proxy ready' : 'agent channel open', { proxyPid: gateway.pid || undefined });
      }
      // A kata-proxy dying during boot ends the wait at once, not after the whole dial timeout.
      const proxyGone = gateway?.exited?.then(() => {
        throw new UnavailableError(`kata-proxy exited during boot: ${tail(paths.proxyLog)}`);
      });
      proxyGone?.catch(() => undefined);
      agent = await Promise.race([readyAgent(agentRoute, budget, log), vmGone, ...(proxyGone ? [proxyGone] : [])]);
      phases.mark('agent ready', { channel });
      // A clone woke with its template's clock and random state (Kata does the same two calls;
      // vmgenid has the kernel reseed as well).
      if (template) {
        await agent.setGuestDateTime(new Date());
        await agent.reseedRandomDev(randomBytes(RESEED_BYTES));
      }
      await network?.configureGuest(agent);
      await agent.createSandbox({
        sandboxId: o.id,
        hostname: o.spec.hostname ?? '',
        dns: [],
        sandboxPidns: false,
        kernelModules: config.agent.kernelModules,
        storages: [sharedDirStorage()],
      });
      phases.mark('sandbox created in the guest');
      const sandbox = new Sandbox(o.id, paths, agent, vm, gateway, channel, log, config.source.path, netns);
      sandbox.#network = network;
      if (!config.runtime.staticSandboxResourceMgmt) sandbox.#memory = new MemoryFit(config.hypervisor.defaultMemory, vm);
      sandbox.#saveState();
      void vm.wait().then(() => sandbox.#died('the VM (QEMU) exited'));
      void gateway?.exited?.then(() => sandbox.#died('kata-proxy exited'));
      sandbox.#onDied = o.onDied;
      return sandbox;
    } catch (err) {
      await agent?.close();
      await gateway?.stop();
      await vm?.stop({ timeoutMs: STOP_TIMEOUT_MS }).catch(() => undefined);
      await network?.detach().catch((e: unknown) => log.warn({ err: e }, 'pod network teardown'));
      await unmountAll(paths.shared);
      rmSync(paths.dir, { recursive: true, force: true });
      throw err;
    }
  }

  #died(reason: string): void {
    if (this.#stopping) return;
    this.log.error({ reason }, 'sandbox died');
    const onDied = this.#onDied;
    this.#onDied = undefined;
    onDied?.(reason);
  }

  /**
   * A pod whose namespace was new and empty at create (`ctr run --cni` runs CNI in the task's
   * namespace, i.e. QEMU's, between create and start): connect what is there now, NICs hot-plugged.
   * Called before the sandbox's first process starts; nothing to do in every other case.
   */
  async connectLateNetwork(): Promise<void> {
    if (this.#network || this.netns.kind !== 'new' || !this.vm.pid) return;
    const network = await SandboxNetwork.attach(`/proc/${this.vm.pid}/ns/net`, this.log);
    if (!network) return;
    this.#network = network;
    this.#saveState();
    await this.vm.hotplugNics(network.nics);
    await network.configureGuest(this.agent);
  }

  /** Mounts a container's rootfs (its mounts, else root.path) into the share; returns its guest path. */
  async mountRootfs(containerId: string, bundle: string, mounts: types.Mount[], rootPath?: string): Promise<string> {
    const guestPath = await mountContainerRootfs(bundle, this.paths.shared, containerId, mounts, rootPath);
    this.#containers.set(containerId, bundle);
    this.#saveState();
    return guestPath;
  }

  /** Binds the container's host mounts into the share; returns the mounts as the guest sees them. */
  async shareMounts(containerId: string, mounts: OciMount[]): Promise<OciMount[]> {
    return shareContainerMounts(this.paths.shared, containerId, mounts);
  }

  async fitMemory(containerId: string, limitBytes: number | undefined): Promise<void> {
    await this.#memory?.fit(containerId, limitBytes);
  }

  async unmountRootfs(containerId: string): Promise<void> {
    this.#memory?.forget(containerId);
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
    await this.agent.close();
    await Promise.all([this.vm.stop({ timeoutMs: STOP_TIMEOUT_MS }).catch(() => undefined), this.gateway?.stop()]);
    await this.#network?.detach().catch((err: unknown) => this.log.warn({ err }, 'pod network teardown'));
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
      vmPid: this.vm.pid ?? 0,
      proxyPid: this.gateway?.pid ?? 0,
      agentChannel: this.agentChannel,
      containers: Object.fromEntries(this.#containers),
      configPath: this.configPath,
      network: this.#network?.record,
    });
  }
}

/**
 * The agent, once it answers on `channel`, within the boot budget (which grows while the host
 * keeps the VM off its CPUs); running out becomes the shim's DEADLINE_EXCEEDED.
 */
async function readyAgent(channel: AgentChannel | GuestEndpoint, budget: BootBudget, log: Logger): Promise<AgentClient> {
  for (;;) {
    try {
      return await connectAgent(channel, { timeoutMs: Math.max(1, budget.remainingMs()), log });
    } catch (err) {
      if (!(err instanceof AgentConnectError)) throw err;
      const extraMs = Math.round(budget.extensionMs());
      if (budget.remainingMs() > 0) {
        log.info({ extraMs }, 'the host kept the VM waiting for a CPU: waiting that much longer for the agent');
        continue;
      }
      const why = extraMs > 0 ? `agent.kata.dial_timeout + ${(extraMs / 1000).toFixed(1)} s the VM waited for a CPU` : 'agent.kata.dial_timeout';
      throw new DeadlineExceededError(`${err.message} (${why})`, { cause: err });
    }
  }
}

/** The last lines of a log, for an error message. */
function tail(path: string): string {
  try {
    return outputTail(readFileSync(path, 'utf8')) || `(${path} empty)`;
  } catch {
    return `(no ${path})`;
  }
}
