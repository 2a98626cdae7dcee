import type { Readable, Writable } from 'node:stream';
import type { Logger } from '@kata-ts/logging';
import type { AgentClient } from '@kata-ts/agent-client';
import { isEndOfStream } from '@kata-ts/guest-contract';
import type { ProcessIo } from './process-io';

/**
 * As much as the agent answers in one ReadStdout (its cap, and its per-stream buffer): each read
 * is a round trip through ttrpc, the mux and the VM's channel, so fewer, fuller ones carry more.
 */
const READ_SIZE = 1 << 20;
/** The most one WriteStdin carries (ttrpc frames stop at 4 MiB). */
const STDIN_BATCH = 1 << 20;
/**
 * WriteStdin calls in flight: the agent answers once a batch is in the process's pipe, so with
 * one at a time the channel idles while the guest writes it. Their order is kept: the agent takes
 * calls of one connection in order and queues each batch behind the last.
 */
const STDIN_IN_FLIGHT = 2;
const WRITE_SLICE = 64 << 10;
/**
 * containerd closes its end of the stdin FIFO before CloseIO, so what is left to copy is at most
 * the FIFO's buffer and the chunk in flight: CloseIO lets that through, then closes the guest's
 * stdin. Should a writer still hold the FIFO open, the copy is cut after this long.
 */
const STDIN_DRAIN_MS = 10_000;

function delay(ms: number): { done: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { done, cancel: () => clearTimeout(timer) };
}

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

/** `first` and whatever `stream` already holds, up to STDIN_BATCH bytes. */
function withBuffered(stream: Readable, first: Buffer): Buffer {
  const parts = [first];
  let size = first.length;
  for (let more: Buffer | null; size < STDIN_BATCH && (more = stream.read(Math.min(stream.readableLength, STDIN_BATCH - size)) as Buffer | null); ) {
    parts.push(more);
    size += more.length;
  }
  return parts.length === 1 ? first : Buffer.concat(parts, size);
}

/**
 * Copies one process's stdio to and from the agent: ReadStdout/ReadStderr until the agent
 * answers the end-of-stream status (the process's output is drained), stdin with WriteStdin and,
 * at EOF (or once CloseIO's last bytes went through), CloseStdin. `outputDone` resolves once both
 * output copies ended, so the exit is reported after every byte reached containerd, unless the
 * copy stalls (`drained`). Any other read failure (the agent or VM gone) also ends that copy, with
 * a warning: the rest of that output is lost.
 */
export class IoCopier {
  readonly outputDone: Promise<void>;
  /** The stdin copy, until it ended and the guest's stdin was closed. */
  readonly #stdinDone: Promise<void>;
  #stopped = false;
  #stdinClosed = false;
  /** When an output read or write last completed: `drained` watches it for progress. */
  #lastMove = performance.now();

  constructor(
    private readonly agent: AgentClient,
    private readonly containerId: string,
    private readonly execId: string,
    private readonly io: ProcessIo,
    private readonly log: Logger,
    private readonly stdinDrainMs = STDIN_DRAIN_MS,
  ) {
    const pumps: Promise<void>[] = [];
    if (io.stdout) pumps.push(this.#pumpOut((n) => agent.readStdout(containerId, execId, n), io.stdout, 'stdout'));
    if (io.stderr) pumps.push(this.#pumpOut((n) => agent.readStderr(containerId, execId, n), io.stderr, 'stderr'));
    this.outputDone = Promise.all(pumps).then(() => undefined);
    // No stdin (CRI `stdin: false`, `ctr run --null-io`): runc gives /dev/null; the nearest the
    // agent API offers is a stdin that ends at once, so a reader sees EOF instead of waiting forever.
    this.#stdinDone = io.stdin ? this.#pumpIn() : this.#closeGuestStdin();
  }

  /** The next read is in flight while the last chunk is written: the guest never waits on the FIFO's reader. */
  async #pumpOut(read: (n: number) => Promise<Buffer>, out: Writable, name: string): Promise<void> {
    const next = (): Promise<Buffer | Error> => read(READ_SIZE).catch((err: Error) => err);
    let pending = next();
    while (!this.#stopped) {
      const data = await pending;
      if (data instanceof Error) {
        if (!isEndOfStream(data) && !this.#stopped) {
          this.log.warn({ err: data.message, stream: name, container: this.containerId, exec: this.execId }, 'output copy failed');
        }
        return;
      }
      this.#lastMove = performance.now();
      pending = next();
      // In slices, so that `drained` sees a slow reader's progress within a big chunk.
      for (let at = 0; at < data.length; at += WRITE_SLICE) {
        await write(out, data.subarray(at, at + WRITE_SLICE));
        this.#lastMove = performance.now();
      }
    }
  }

  /**
   * After the process exited: true once every output byte went out; false once nothing moved for
   * `stallMs` (nobody reads the FIFO, or the agent stopped answering). A reader that keeps reading
   * gets all of it; one that went away costs at most `stallMs`.
   */
  async drained(stallMs: number): Promise<boolean> {
    let done = false;
    void this.outputDone.then(() => (done = true));
    for (;;) {
      const idle = performance.now() - this.#lastMove;
      if (idle >= stallMs) return done;
      const tick = delay(stallMs - idle);
      await Promise.race([this.outputDone, tick.done]);
      tick.cancel();
      if (done) return true;
    }
  }

  async #pumpIn(): Promise<void> {
    const stdin = this.io.stdin!;
    const inFlight: Promise<void>[] = [];
    try {
      for await (const chunk of stdin) {
        // With what else arrived during the last WriteStdin: one round trip per batch, not per 64 KiB.
        const batch = withBuffered(stdin, chunk as Buffer);
        for (let at = 0; at < batch.length && !this.#stopped; at += STDIN_BATCH) {
          const write = this.#writeStdin(batch.subarray(at, at + STDIN_BATCH));
          write.catch(() => {}); // awaited below: not unhandled while an earlier one is awaited
          inFlight.push(write);
          if (inFlight.length >= STDIN_IN_FLIGHT) await inFlight.shift();
        }
        if (this.#stopped) return;
      }
      for (const write of inFlight) await write;
    } catch (err) {
      if (this.#stopped) return;
      this.log.debug({ err: (err as Error).message, exec: this.execId }, 'stdin copy ended');
    }
    await this.#closeGuestStdin();
  }

  /** One batch; the agent takes all of it or fails (a short write would reorder the calls in flight). */
  async #writeStdin(batch: Buffer): Promise<void> {
    const n = await this.agent.writeStdin(this.containerId, this.execId, batch);
    if (n !== batch.length) throw new Error(`the agent took ${n} of ${batch.length} stdin bytes`);
  }

  /**
   * CloseIO: the process's stdin ends after every byte containerd wrote before it (the copy runs
   * to the FIFO's end, bounded by stdinDrainMs). Answers at once, as runc's shim does.
   */
  async closeStdin(): Promise<void> {
    const cut = delay(this.stdinDrainMs);
    void cut.done.then(() => {
      this.log.warn({ container: this.containerId, exec: this.execId, ms: this.stdinDrainMs }, 'stdin still open after CloseIO: cut');
      this.io.stdin?.destroy();
    });
    void this.#stdinDone.finally(() => cut.cancel());
  }

  /** Forwards end-of-input to the process. Idempotent. */
  async #closeGuestStdin(): Promise<void> {
    if (this.#stdinClosed || this.#stopped) return;
    this.#stdinClosed = true;
    this.io.stdin?.destroy();
    await this.agent.closeStdin(this.containerId, this.execId).catch((err: unknown) => {
      this.log.debug({ err: (err as Error).message, exec: this.execId }, 'CloseStdin failed (process gone?)');
    });
  }

  /** The process is gone: stop feeding stdin, and stop copying output after the call in flight. */
  stop(): void {
    this.#stopped = true;
    this.io.stdin?.destroy();
  }
}
