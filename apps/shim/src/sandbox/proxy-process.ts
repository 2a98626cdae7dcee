import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { DeadlineExceededError, UnavailableError } from '@kata-ts/errors';

export interface ProxyOptions {
  path: string;
  sandboxId: string;
  channelSocket: string;
  listenSocket: string;
  logFile: string;
  timeoutMs: number;
  /** kata-proxy's pid, in the tick it was spawned (the shim records it before awaiting anything). */
  onSpawn?: (pid: number) => void;
}

/** kata-proxy for one sandbox: muxes agent connections over QEMU's virtio-serial channel. */
export class ProxyProcess {
  readonly exited: Promise<void>;

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Spawns kata-proxy and waits for its "ready" on fd 3 (it is serving the hybrid-vsock socket). */
  static async start(o: ProxyOptions): Promise<ProxyProcess> {
    // A bundle (.mjs) runs under this Node; an installed kata-proxy carries its own shebang.
    const [file, args] = o.path.endsWith('.mjs') || o.path.endsWith('.js') ? [process.execPath, [o.path]] : [o.path, []];
    const child = spawn(
      file,
      [...args, '--channel', o.channelSocket, '--listen', o.listenSocket, '--sandbox', o.sandboxId, '--log', o.logFile, '--ready-fd', '3'],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], detached: true },
    );
    if (child.pid !== undefined) o.onSpawn?.(child.pid);
    const proxy = new ProxyProcess(child);
    const ready = child.stdio[3] as Readable;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new DeadlineExceededError(`kata-proxy not ready after ${o.timeoutMs} ms (log: ${o.logFile})`)), o.timeoutMs);
        child.once('error', (err) => reject(new UnavailableError(`cannot start kata-proxy ${o.path}: ${err.message}`, { cause: err })));
        child.once('exit', (code, signal) => reject(new UnavailableError(`kata-proxy exited (${code ?? signal}) before it was ready (log: ${o.logFile})`)));
        ready.once('data', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    } catch (err) {
      await proxy.stop();
      throw err;
    } finally {
      ready.destroy();
    }
    return proxy;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
    await this.exited;
    clearTimeout(timer);
  }
}
