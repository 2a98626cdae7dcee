import type { KataConfig } from '@kata-ts/config';
import type { Hypervisor } from '@kata-ts/hypervisor';
import type { OciSpec } from '@kata-ts/oci';

const MIB = 1024 * 1024;

/** A memory limit in MiB, rounded up; 0 when there is none (absent, 0, or -1 for unlimited). */
export function memoryLimitMiB(limitBytes: number | undefined): number {
  return limitBytes && limitBytes > 0 ? Math.ceil(limitBytes / MIB) : 0;
}

/**
 * The VM's boot size: the configured defaults plus the sandbox container's CPU quota (rounded up,
 * capped at default_maxvcpus) and, with Kata's static_sandbox_resource_mgmt, its memory limit.
 * Without it (dynamic sizing), memory limits are hot-plugged as containers come (MemoryFit).
 */
export function sandboxSize(config: Pick<KataConfig, 'hypervisor' | 'runtime'>, spec: OciSpec): { vcpus: number; memoryMiB: number } {
  const q = config.hypervisor;
  const cpu = spec.linux?.resources?.cpu;
  const extraCpus = cpu?.quota && cpu.quota > 0 && cpu.period ? Math.ceil(cpu.quota / cpu.period) : 0;
  let vcpus = q.defaultVcpus + extraCpus;
  if (q.defaultMaxVcpus > 0) vcpus = Math.min(vcpus, q.defaultMaxVcpus);
  const extraMiB = config.runtime.staticSandboxResourceMgmt ? memoryLimitMiB(spec.linux?.resources?.memory?.limit) : 0;
  return { vcpus, memoryMiB: q.defaultMemory + extraMiB };
}

/**
 * Dynamic memory sizing, as Kata's sandbox.updateResources: the VM holds the default memory plus
 * every container's limit, so each container can fill its limit whatever its neighbours do. A
 * container created or updated with a larger limit grows the VM (hot-plug); nothing shrinks it
 * (Kata does not unplug memory either). Calls are serialized: each sees the last one's size.
 */
export class MemoryFit {
  readonly #limits = new Map<string, number>();
  #last: Promise<void> = Promise.resolve();

  constructor(
    private readonly defaultMiB: number,
    private readonly vm: Pick<Hypervisor, 'memoryMiB' | 'hotplugMemory'>,
  ) {}

  /** Sets a container's limit (bytes; none is 0), growing the VM first if it needs more. */
  fit(containerId: string, limitBytes: number | undefined): Promise<void> {
    const run = this.#last.then(() => this.#fit(containerId, memoryLimitMiB(limitBytes)));
    this.#last = run.catch(() => undefined);
    return run;
  }

  /** The container is gone: its limit no longer counts towards later growth. */
  forget(containerId: string): void {
    this.#limits.delete(containerId);
  }

  async #fit(containerId: string, limitMiB: number): Promise<void> {
    let wanted = this.defaultMiB + limitMiB;
    for (const [id, mib] of this.#limits) if (id !== containerId) wanted += mib;
    const now = this.vm.memoryMiB();
    // Counted only once the VM holds it: a refused hot-plug fails the container, not its neighbours.
    if (wanted > now) await this.vm.hotplugMemory(wanted - now);
    this.#limits.set(containerId, limitMiB);
  }
}
