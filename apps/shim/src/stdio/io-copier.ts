import type { Writable } from 'node:stream';
import type { Logger } from '@kata-ts/logging';
import type { AgentClient } from '@kata-ts/agent-client';
import { isEndOfStream } from '@kata-ts/guest-contract';
import type { ProcessIo } from './process-io';

const READ_SIZE = 64 << 10;

function write(out: Writable, data: Buffer): Promise<void> {
  if (out.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    if (out.write(data)) resolve();
    else {
      const done = () => {
        out.off('drain', done);
        out.off('close', done);
        resolve();
      };
      out.once('drain', done);
      out.once('close', done);
    }
  });
}

/**
 * Copies one process's stdio to and from the agent: ReadStdout/ReadStderr until the agent
 * answers the end-of-stream status (the process's output is drained), stdin with WriteStdin and,
 * at EOF, CloseStdin. `outputDone` resolves once both output copies ended, so the exit is
 * reported only after every byte reached containerd. Any other read failure (the agent or VM
 * gone) also ends that copy, with a warning: the rest of that output is lost.
 */
export class IoCopier {
  readonly outputDone: Promise<void>;
  #stopped = false;
  #stdinClosed = false;

  constructor(
    private readonly agent: AgentClient,
    private readonly containerId: string,
    private readonly execId: string,
    private readonly io: ProcessIo,
    private readonly log: Logger,
  ) {
    const pumps: Promise<void>[] = [];
    if (io.stdout) pumps.push(this.#pumpOut((n) => agent.readStdout(containerId, execId, n), io.stdout, 'stdout'));
    if (io.stderr) pumps.push(this.#pumpOut((n) => agent.readStderr(containerId, execId, n), io.stderr, 'stderr'));
    this.outputDone = Promise.all(pumps).then(() => undefined);
    if (io.stdin) void this.#pumpIn();
  }

  async #pumpOut(read: (n: number) => Promise<Buffer>, out: Writable, name: string): Promise<void> {
    for (;;) {
      let data: Buffer;
      try {
        data = await read(READ_SIZE);
      } catch (err) {
        if (!isEndOfStream(err)) {
          this.log.warn({ err: (err as Error).message, stream: name, container: this.containerId, exec: this.execId }, 'output copy failed');
        }
        return;
      }
      if (data.length) await write(out, data);
    }
  }

  async #pumpIn(): Promise<void> {
    const stdin = this.io.stdin!;
    try {
      for await (const chunk of stdin) {
        let rest = chunk as Buffer;
        while (rest.length && !this.#stopped) {
          const n = await this.agent.writeStdin(this.containerId, this.execId, rest);
          rest = rest.subarray(n);
        }
        if (this.#stopped) return;
      }
    } catch (err) {
      if (this.#stopped) return;
      this.log.debug({ err: (err as Error).message, exec: this.execId }, 'stdin copy ended');
    }
    await this.closeStdin();
  }

  /** Forwards end-of-input to the process (CloseIO, or stdin reached EOF). Idempotent. */
  async closeStdin(): Promise<void> {
    if (this.#stdinClosed || this.#stopped) return;
    this.#stdinClosed = true;
    this.io.stdin?.destroy();
    await this.agent.closeStdin(this.containerId, this.execId).catch((err: unknown) => {
      this.log.debug({ err: (err as Error).message, exec: this.execId }, 'CloseStdin failed (process gone?)');
    });
  }

  /** The process is gone: stop feeding stdin. */
  stop(): void {
    this.#stopped = true;
    this.io.stdin?.destroy();
  }
}
