import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';

/** How long a launched monitor may take to connect back (a guest under load is slow, not this slow). */
const HELLO_TIMEOUT_MS = 30_000;

/**
 * One long-lived kata-agent-monitor in launcher mode (`--launcher SOCKET`, native/): each
 * process's monitor is a fork of it, a small static process, where a spawn from Node forks
 * the whole agent (25–55 ms per container process in a TCG guest). A monitor connects back to
 * the agent's unix socket, says `hello <token>`, and that connection is its control channel.
 * The launcher is started on first use and again if it died; it exits when the agent does (its
 * stdin closes), the monitors it forked carry on with their processes.
 */
export class MonitorLauncher {
  #child: ChildProcess | undefined;
  #server: Promise<Server> | undefined;
  readonly #pending = new Map<string, { resolve: (control: Socket) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  #next = 0;
  #stderr = '';

  constructor(
    /** The kata-agent-monitor binary. */
    readonly helper: string,
    /** Where the agent listens for monitors (root-only: the agent's state directory). */
    readonly socketPath: string,
  ) {}

  /** Forks a monitor with these arguments and resolves with its control connection. */
  async launch(args: string[]): Promise<Socket> {
    if (args.some((a) => a.includes('\0'))) throw new Error('kata-agent-monitor: an argument holds a NUL byte');
    await this.#listening();
    const child = this.#launcher();
    const token = String(++this.#next);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#settle(token, new Error(`kata-agent-monitor ${token} did not connect within ${HELLO_TIMEOUT_MS} ms${this.#reason()}`)), HELLO_TIMEOUT_MS);
      this.#pending.set(token, { resolve, reject, timer });
      child.stdin!.write([token, ...args, ''].map((field) => `${field}\0`).join(''));
    });
  }

  /**
   * Stops listening and ends the launcher. Monitors already forked keep running, and their
   * connections stay open: server.close() would wait for them, so nothing waits for its callback.
   */
  async close(): Promise<void> {
    this.#child?.stdin?.end();
    this.#child = undefined;
    const server = await this.#server?.catch(() => undefined);
    this.#server = undefined;
    server?.close();
  }

  #listening(): Promise<Server> {
    this.#server ??= new Promise((resolve, reject) => {
      rmSync(this.socketPath, { force: true });
      const server = createServer((socket) => this.#hello(socket));
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve(server));
    });
    return this.#server;
  }

  #launcher(): ChildProcess {
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null) return this.#child;
    const child = spawn(this.helper, ['--launcher', this.socketPath], { stdio: ['pipe', 'ignore', 'pipe'] });
    child.stdin!.on('error', () => {}); // a launcher that died: its exit below says so
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.#stderr = (this.#stderr + s).slice(-4096)));
    const fail = (why: string) => {
      if (this.#child === child) this.#child = undefined;
      for (const token of [...this.#pending.keys()]) this.#settle(token, new Error(`kata-agent-monitor launcher ${why}${this.#reason()}`));
    };
    child.once('error', (error) => fail(`failed: ${error.message}`));
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal})`));
    // The agent's own servers keep it running; the launcher's pipes must not.
    for (const pipe of [child, child.stdin as Socket, child.stderr as Socket]) pipe.unref();
    this.#child = child;
    return child;
  }

  /** The first line of a monitor's connection names its request; the rest is the monitor's. */
  #hello(socket: Socket): void {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(10);
      if (nl < 0) {
        if (head.length > 64) socket.destroy();
        return;
      }
      socket.off('data', onData);
      socket.pause();
      const token = /^hello (\d+)$/.exec(head.subarray(0, nl).toString())?.[1];
      if (nl + 1 < head.length) socket.unshift(head.subarray(nl + 1));
      if (!token || !this.#settle(token, socket)) socket.destroy();
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  }

  #settle(token: string, result: Socket | Error): boolean {
    const pending = this.#pending.get(token);
    if (!pending) return false;
    this.#pending.delete(token);
    clearTimeout(pending.timer);
    if (result instanceof Error) pending.reject(result);
    else pending.resolve(result);
    return true;
  }

  #reason(): string {
    return this.#stderr ? `: ${this.#stderr.trim()}` : '';
  }
}
