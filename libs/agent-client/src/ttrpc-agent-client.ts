import type { Duplex } from 'node:stream';
import type { Logger } from '@kata-ts/logging';
import { agent, health } from '@kata-ts/protocols';
import { Client, createClient, type TypedClient } from '@kata-ts/ttrpc';
import { processToProto, resourcesToProto, specToProto, type OciLinuxResources, type OciProcess, type OciSpec } from '@kata-ts/oci';
import { interfaceFromProto, interfaceToProto, neighborToProto, routeFromProto, routeToProto, type GuestInterface, type GuestNeighbor, type GuestRoute, type SandboxRequest } from '@kata-ts/guest-contract';
import type { AgentClient } from './agent-client';

/** Calls that must answer promptly; the blocking ones (wait, read, OOM) have no deadline. */
const CALL_TIMEOUT_MS = 30_000;

/** The Kata agent API (grpc.AgentService + grpc.Health) over one ttrpc connection. */
export class TtrpcAgentClient implements AgentClient {
  readonly #client: Client;
  readonly #agent: TypedClient<typeof agent.AgentServiceDefinition>;
  readonly #health: TypedClient<typeof health.HealthDefinition>;

  readonly #onClose: () => void;

  /** `onClose` releases what carries the stream (the channel connectAgent opened). */
  constructor(stream: Duplex, log: Logger, onClose: () => void = () => undefined) {
    this.#onClose = onClose;
    this.#client = new Client(stream, { logger: log });
    this.#agent = createClient(agent.AgentServiceDefinition, this.#client);
    this.#health = createClient(health.HealthDefinition, this.#client);
  }

  async check(timeoutMs: number): Promise<void> {
    const { status } = await this.#health.check({ service: '' }, { timeoutMs });
    if (status !== health.HealthCheckResponse_ServingStatus.SERVING) throw new Error(`the agent's health is ${health.HealthCheckResponse_ServingStatus[status] ?? status}, not SERVING`);
  }

  async createSandbox(r: SandboxRequest): Promise<void> {
    await this.#agent.createSandbox(
      agent.CreateSandboxRequest.fromPartial({
        sandboxId: r.sandboxId,
        hostname: r.hostname,
        dns: r.dns,
        sandboxPidns: r.sandboxPidns,
        storages: r.storages,
        kernelModules: r.kernelModules.map((m) => {
          const [name = '', ...parameters] = m.split(/\s+/);
          return { name, parameters };
        }),
      }),
      { timeoutMs: CALL_TIMEOUT_MS },
    );
  }

  async updateInterface(iface: GuestInterface): Promise<void> {
    await this.#agent.updateInterface({ interface: interfaceToProto(iface) }, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async updateRoutes(routes: GuestRoute[]): Promise<void> {
    await this.#agent.updateRoutes({ routes: { Routes: routes.map(routeToProto) } }, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async addArpNeighbors(neighbors: GuestNeighbor[]): Promise<void> {
    await this.#agent.addARPNeighbors({ neighbors: { ARPNeighbors: neighbors.map(neighborToProto) } }, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async listInterfaces(): Promise<GuestInterface[]> {
    return (await this.#agent.listInterfaces({}, { timeoutMs: CALL_TIMEOUT_MS })).Interfaces.map((i) => interfaceFromProto(i));
  }

  async listRoutes(): Promise<GuestRoute[]> {
    return (await this.#agent.listRoutes({}, { timeoutMs: CALL_TIMEOUT_MS })).Routes.map((r, n) => routeFromProto(r, n));
  }

  async destroySandbox(): Promise<void> {
    await this.#agent.destroySandbox({}, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async setGuestDateTime(now: Date): Promise<void> {
    const ms = now.getTime();
    await this.#agent.setGuestDateTime({ Sec: Math.floor(ms / 1000), Usec: (ms % 1000) * 1000 }, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async reseedRandomDev(data: Uint8Array): Promise<void> {
    await this.#agent.reseedRandomDev({ data: Buffer.from(data) }, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async createContainer(containerId: string, execId: string, spec: OciSpec, o: { timeoutMs: number; sandboxPidns: boolean }): Promise<void> {
    const request = agent.CreateContainerRequest.fromPartial({ containerId, execId, OCI: specToProto(spec), sandboxPidns: o.sandboxPidns });
    await this.#agent.createContainer(request, { timeoutMs: o.timeoutMs });
  }

  async startContainer(containerId: string): Promise<void> {
    await this.#agent.startContainer({ containerId }, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async removeContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    await this.#agent.removeContainer({ containerId, timeout: timeoutSeconds }, { timeoutMs: (timeoutSeconds + 10) * 1000 });
  }

  async execProcess(containerId: string, execId: string, process: OciProcess): Promise<void> {
    await this.#agent.execProcess(agent.ExecProcessRequest.fromPartial({ containerId, execId, process: processToProto(process) }), { timeoutMs: CALL_TIMEOUT_MS });
  }

  async signalProcess(containerId: string, execId: string, signal: number): Promise<void> {
    await this.#agent.signalProcess({ containerId, execId, signal }, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async waitProcess(containerId: string, execId: string): Promise<number> {
    return (await this.#agent.waitProcess({ containerId, execId })).status;
  }

  async readStdout(containerId: string, execId: string, len: number): Promise<Buffer> {
    return (await this.#agent.readStdout({ containerId, execId, len })).data;
  }

  async readStderr(containerId: string, execId: string, len: number): Promise<Buffer> {
    return (await this.#agent.readStderr({ containerId, execId, len })).data;
  }

  async writeStdin(containerId: string, execId: string, data: Buffer): Promise<number> {
    return (await this.#agent.writeStdin({ containerId, execId, data }, { timeoutMs: CALL_TIMEOUT_MS })).len;
  }

  async closeStdin(containerId: string, execId: string): Promise<void> {
    await this.#agent.closeStdin({ containerId, execId }, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async ttyWinResize(containerId: string, execId: string, row: number, column: number): Promise<void> {
    await this.#agent.ttyWinResize({ containerId, execId, row, column }, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async pauseContainer(containerId: string): Promise<void> {
    await this.#agent.pauseContainer({ containerId }, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async resumeContainer(containerId: string): Promise<void> {
    await this.#agent.resumeContainer({ containerId }, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async updateContainer(containerId: string, resources: OciLinuxResources): Promise<void> {
    await this.#agent.updateContainer({ containerId, resources: resourcesToProto(resources) }, { timeoutMs: CALL_TIMEOUT_MS });
  }

  statsContainer(containerId: string): Promise<agent.StatsContainerResponse> {
    return this.#agent.statsContainer({ containerId }, { timeoutMs: CALL_TIMEOUT_MS });
  }

  async listProcesses(containerId: string): Promise<number[]> {
    const r = await this.#agent.listProcesses({ containerId, format: 'json', args: [] }, { timeoutMs: CALL_TIMEOUT_MS });
    const pids = JSON.parse(r.processList.toString('utf8') || '[]') as unknown;
    return Array.isArray(pids) ? pids.filter((p): p is number => typeof p === 'number') : [];
  }

  async getOOMEvent(): Promise<string> {
    return (await this.#agent.getOOMEvent({})).containerId;
  }

  async close(): Promise<void> {
    try {
      await this.#client.close();
    } finally {
      this.#onClose();
    }
  }
}
