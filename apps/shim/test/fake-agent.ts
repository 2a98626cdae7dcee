import type { agent } from '@kata-ts/protocols';
import type { AgentClient } from '@kata-ts/agent-client';
import { END_OF_STREAM_STATUS, type GuestInterface, type GuestNeighbor, type GuestRoute } from '@kata-ts/guest-contract';
import { Code, TtrpcError } from '@kata-ts/ttrpc';

interface FakeProc {
  out: Buffer[];
  err: Buffer[];
  stdin: Buffer[];
  stdinClosed: boolean;
  exit?: number;
  waiters: Array<() => void>;
}

/**
 * An in-memory agent for unit tests of the shim's process, stdio and event logic (the VM path is
 * tested end to end against the real agent). Tests drive it: emit output, exit a process.
 */
export class FakeAgent implements AgentClient {
  readonly calls: string[] = [];
  readonly procs = new Map<string, FakeProc>();
  closed = false;

  proc(containerId: string, execId: string): FakeProc {
    const key = `${containerId}/${execId || containerId}`;
    let p = this.procs.get(key);
    if (!p) {
      p = { out: [], err: [], stdin: [], stdinClosed: false, waiters: [] };
      this.procs.set(key, p);
    }
    return p;
  }

  #notify(p: FakeProc): void {
    for (const w of p.waiters.splice(0)) w();
  }

  emit(containerId: string, execId: string, data: string | Buffer, stream: 'out' | 'err' = 'out'): void {
    const p = this.proc(containerId, execId);
    p[stream].push(Buffer.from(data));
    this.#notify(p);
  }

  exitProcess(containerId: string, execId: string, status: number): void {
    const p = this.proc(containerId, execId);
    p.exit = status;
    this.#notify(p);
  }

  /** At most `len` bytes, as the agent answers. */
  async #read(containerId: string, execId: string, stream: 'out' | 'err', len: number): Promise<Buffer> {
    const p = this.proc(containerId, execId);
    for (;;) {
      const chunk = p[stream].shift();
      if (chunk) {
        if (chunk.length > len) p[stream].unshift(chunk.subarray(len));
        return chunk.subarray(0, len);
      }
      if (p.exit !== undefined) throw new TtrpcError(Code[END_OF_STREAM_STATUS], `EOF: ${stream} of ${containerId}/${execId}`);
      if (this.closed) throw new TtrpcError(Code.UNAVAILABLE, 'ttrpc: connection closed');
      await new Promise<void>((r) => p.waiters.push(r));
    }
  }

  async check(): Promise<void> {}
  async createSandbox(): Promise<void> {
    this.calls.push('createSandbox');
  }
  async destroySandbox(): Promise<void> {
    this.calls.push('destroySandbox');
  }
  async updateInterface(iface: GuestInterface): Promise<void> {
    this.calls.push(`updateInterface ${iface.name}`);
  }
  async updateRoutes(routes: GuestRoute[]): Promise<void> {
    this.calls.push(`updateRoutes ${routes.length}`);
  }
  async addArpNeighbors(neighbors: GuestNeighbor[]): Promise<void> {
    this.calls.push(`addArpNeighbors ${neighbors.length}`);
  }
  async listInterfaces(): Promise<GuestInterface[]> {
    return [];
  }
  async listRoutes(): Promise<GuestRoute[]> {
    return [];
  }
  async setGuestDateTime(): Promise<void> {
    this.calls.push('setGuestDateTime');
  }
  async reseedRandomDev(): Promise<void> {
    this.calls.push('reseedRandomDev');
  }
  async createContainer(containerId: string): Promise<void> {
    this.calls.push(`createContainer ${containerId}`);
    this.proc(containerId, '');
  }
  async startContainer(containerId: string): Promise<void> {
    this.calls.push(`startContainer ${containerId}`);
  }
  async removeContainer(containerId: string): Promise<void> {
    this.calls.push(`removeContainer ${containerId}`);
  }
  async execProcess(containerId: string, execId: string): Promise<void> {
    this.calls.push(`execProcess ${containerId} ${execId}`);
    this.proc(containerId, execId);
  }
  async signalProcess(containerId: string, execId: string, signal: number): Promise<void> {
    this.calls.push(`signalProcess ${containerId} ${execId} ${signal}`);
    if (signal === 9) this.exitProcess(containerId, execId, 137);
  }
  async waitProcess(containerId: string, execId: string): Promise<number> {
    const p = this.proc(containerId, execId);
    while (p.exit === undefined) {
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((r) => p.waiters.push(r));
    }
    return p.exit;
  }
  readStdout(containerId: string, execId: string, len: number): Promise<Buffer> {
    return this.#read(containerId, execId, 'out', len);
  }
  readStderr(containerId: string, execId: string, len: number): Promise<Buffer> {
    return this.#read(containerId, execId, 'err', len);
  }
  async writeStdin(containerId: string, execId: string, data: Buffer): Promise<number> {
    this.proc(containerId, execId).stdin.push(Buffer.from(data));
    return data.length;
  }
  async closeStdin(containerId: string, execId: string): Promise<void> {
    this.calls.push(`closeStdin ${containerId} ${execId}`);
    this.proc(containerId, execId).stdinClosed = true;
  }
  async ttyWinResize(containerId: string, execId: string, rows: number, cols: number): Promise<void> {
    this.calls.push(`ttyWinResize ${containerId} ${execId} ${rows}x${cols}`);
  }
  async pauseContainer(containerId: string): Promise<void> {
    this.calls.push(`pauseContainer ${containerId}`);
  }
  async resumeContainer(containerId: string): Promise<void> {
    this.calls.push(`resumeContainer ${containerId}`);
  }
  async updateContainer(): Promise<void> {}
  async statsContainer(): Promise<agent.StatsContainerResponse> {
    return { cgroupStats: undefined, networkStats: [] };
  }
  async listProcesses(): Promise<number[]> {
    return [1];
  }
  getOOMEvent(): Promise<string> {
    return new Promise(() => undefined);
  }
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.procs.values()) this.#notify(p);
  }
}
