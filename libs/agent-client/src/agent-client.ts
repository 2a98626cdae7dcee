import type { GuestInterface, GuestNeighbor, GuestRoute, SandboxRequest } from '@kata-ts/guest-contract';
import type { OciLinuxResources, OciProcess, OciSpec } from '@kata-ts/oci';
import type { agent } from '@kata-ts/protocols';

/**
 * What the shim asks of the agent in the guest. Domain arguments in, plain values out: the
 * ttrpc implementation converts to Kata's protobufs, and tests can supply their own.
 */
export interface AgentClient {
  /** Health check; rejects if the agent does not answer within timeoutMs. */
  check(timeoutMs: number): Promise<void>;
  createSandbox(request: SandboxRequest): Promise<void>;
  /** Configures the guest NIC with `iface.mac` as the pod's interface (name, MTU, addresses, up). */
  updateInterface(iface: GuestInterface): Promise<void>;
  /** Replaces the guest's main routing table with `routes`. */
  updateRoutes(routes: GuestRoute[]): Promise<void>;
  addArpNeighbors(neighbors: GuestNeighbor[]): Promise<void>;
  listInterfaces(): Promise<GuestInterface[]>;
  listRoutes(): Promise<GuestRoute[]>;
  /** Removes every container, unmounts the sandbox's storages and cgroups; the shim skips it (the VM goes away with them). */
  destroySandbox(): Promise<void>;
  /** Sets the guest's wall clock (a VM resumed from a template wakes at the template's time). */
  setGuestDateTime(now: Date): Promise<void>;
  /** Mixes host randomness into the guest RNG (a clone must not share its template's). */
  reseedRandomDev(data: Uint8Array): Promise<void>;
  /** `sandboxPidns`: join (or, first, found) the pod's shared PID namespace in the guest. */
  createContainer(containerId: string, execId: string, spec: OciSpec, options: { timeoutMs: number; sandboxPidns: boolean }): Promise<void>;
  startContainer(containerId: string): Promise<void>;
  removeContainer(containerId: string, timeoutSeconds: number): Promise<void>;
  execProcess(containerId: string, execId: string, process: OciProcess): Promise<void>;
  signalProcess(containerId: string, execId: string, signal: number): Promise<void>;
  /** Resolves with the exit status once the process has exited. */
  waitProcess(containerId: string, execId: string): Promise<number>;
  /** Some output, at most `len` bytes; rejects at end of stream. */
  readStdout(containerId: string, execId: string, len: number): Promise<Buffer>;
  readStderr(containerId: string, execId: string, len: number): Promise<Buffer>;
  /** Returns how many bytes were taken. */
  writeStdin(containerId: string, execId: string, data: Buffer): Promise<number>;
  closeStdin(containerId: string, execId: string): Promise<void>;
  ttyWinResize(containerId: string, execId: string, rows: number, columns: number): Promise<void>;
  pauseContainer(containerId: string): Promise<void>;
  resumeContainer(containerId: string): Promise<void>;
  updateContainer(containerId: string, resources: OciLinuxResources): Promise<void>;
  statsContainer(containerId: string): Promise<agent.StatsContainerResponse>;
  /** Guest pids of the container's processes. */
  listProcesses(containerId: string): Promise<number[]>;
  /** Blocks until a container of the sandbox hits OOM; returns its id. */
  getOOMEvent(): Promise<string>;
  /** Closes the connection, and the channel under it when the client owns one. */
  close(): Promise<void>;
}
