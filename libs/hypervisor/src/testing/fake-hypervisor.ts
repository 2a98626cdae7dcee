import type { AgentChannel } from '@kata-ts/agent-transport';
import { AGENT_PORT } from '@kata-ts/guest-contract';
import type { Hypervisor, HypervisorCapabilities, VmExit } from '../hypervisor';
import { HypervisorError } from '../hypervisor-error';
import type { NetworkInterface, VmConfig } from '../vm-config';

/**
 * A Hypervisor without a VM, for the shim's unit tests: records the config it was started with,
 * exits when stopped or when the test calls crash(). Pair it with an agent the test serves on
 * `config.agentSocket` (or a unix:// agent) to exercise the shim without QEMU.
 */
export class FakeHypervisor implements Hypervisor {
  config: VmConfig | undefined;
  stopCalls = 0;
  readonly hotplugged: NetworkInterface[] = [];
  /** Each hotplugMemory() call's MiB. */
  readonly memoryPlugs: number[] = [];
  #resolveExit: ((exit: VmExit) => void) | undefined;
  #exit: Promise<VmExit> | undefined;
  #fakePid: number;
  #started = false;

  constructor(options: { pid?: number } = {}) {
    this.#fakePid = options.pid ?? 424242;
  }

  get pid(): number | undefined {
    return this.#started ? this.#fakePid : undefined;
  }

  async start(config: VmConfig): Promise<void> {
    if (this.#exit) throw new HypervisorError('START_FAILED', `VM ${config.id} already started`);
    this.config = config;
    this.#exit = new Promise((resolve) => (this.#resolveExit = resolve));
    this.#started = true;
  }

  async stop(): Promise<VmExit> {
    if (!this.#exit) throw new HypervisorError('NOT_RUNNING', 'VM never started');
    this.stopCalls++;
    this.#resolveExit?.({ code: 0, signal: null });
    return this.#exit;
  }

  /** The VM dies on its own (guest panic, QEMU crash). */
  crash(exit: VmExit = { code: null, signal: 'SIGKILL' }): void {
    this.#resolveExit?.(exit);
  }

  wait(): Promise<VmExit> {
    return this.#exit ?? Promise.reject(new HypervisorError('NOT_RUNNING', 'VM never started'));
  }

  agentChannel(): AgentChannel {
    if (!this.config) throw new HypervisorError('NOT_RUNNING', 'VM never started');
    return { kind: 'serial', socketPath: this.config.agentSocket, port: AGENT_PORT };
  }

  async hotplugNics(nics: NetworkInterface[]): Promise<void> {
    if (!this.#started) throw new HypervisorError('NOT_RUNNING', 'VM never started');
    this.hotplugged.push(...nics);
  }

  memoryMiB(): number {
    return (this.config?.memoryMiB ?? 0) + this.memoryPlugs.reduce((a, b) => a + b, 0);
  }

  async hotplugMemory(mib: number): Promise<number> {
    if (!this.#started) throw new HypervisorError('NOT_RUNNING', 'VM never started');
    this.memoryPlugs.push(mib);
    return mib;
  }

  capabilities(): HypervisorCapabilities {
    return { vsock: false, sharedDirs: true };
  }
}
