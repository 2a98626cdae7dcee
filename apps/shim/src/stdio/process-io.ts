import { spawn, type ChildProcess } from 'node:child_process';
import { constants, createWriteStream, mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import type { DuplexOptions, Readable, Writable } from 'node:stream';
import { InvalidArgumentError } from '@kata-ts/errors';

export interface StdioPaths {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

export interface IoContext {
  containerId: string;
  namespace: string;
}

/** How long close() waits for a reader to take the output still queued. */
const CLOSE_FLUSH_MS = 1_000;

/** A FIFO as a non-blocking libuv pipe: no thread-pool thread is held by a slow reader/writer. */
/**
 * Up to 1 MiB of stdin waits here while a WriteStdin is in flight, so the next one carries all
 * of it (net.Socket hands its options to Duplex, which takes the high-water mark).
 */
function fifoReader(path: string): Readable {
  const options: net.SocketConstructorOpts & DuplexOptions = { fd: openSync(path, constants.O_RDONLY | constants.O_NONBLOCK), readable: true, writable: false, readableHighWaterMark: 1 << 20 };
  return new net.Socket(options);
}

/**
 * O_RDWR keeps a reader of our own on the FIFO (as runc's shim does), so the open never blocks
 * or fails when containerd's reader has gone (`ctr run -d`), and writes never raise EPIPE.
 * Closing our fd is then the last writer gone: the reader sees EOF.
 */
function fifoWriter(path: string): Writable {
  return new net.Socket({ fd: openSync(path, constants.O_RDWR | constants.O_NONBLOCK), readable: false, writable: true });
}

function fileWriter(path: string): Writable {
  mkdirSync(dirname(path), { recursive: true });
  return createWriteStream(path, { flags: 'a', mode: 0o644 });
}

/**
 * A process's stdio as containerd names it: a FIFO path (no scheme), `file:///path` (stdout and
 * stderr appended to one file) or `binary:///path?k=v` (a logging binary reading fds 3 and 4,
 * signalling readiness on fd 5). "" means not connected.
 */
export class ProcessIo {
  readonly stdin: Readable | undefined;
  readonly stdout: Writable | undefined;
  readonly stderr: Writable | undefined;
  readonly #logger: ChildProcess | undefined;

  private constructor(parts: { stdin?: Readable; stdout?: Writable; stderr?: Writable; logger?: ChildProcess }) {
    this.stdin = parts.stdin;
    this.stdout = parts.stdout;
    this.stderr = parts.stderr;
    this.#logger = parts.logger;
    for (const s of [this.stdin, this.stdout, this.stderr]) s?.on('error', () => undefined);
  }

  static async open(paths: StdioPaths, ctx: IoContext): Promise<ProcessIo> {
    const target = paths.stdout || paths.stderr;
    const scheme = target ? schemeOf(target) : 'fifo';
    if (scheme === 'fifo') {
      return new ProcessIo({
        stdin: paths.stdin ? fifoReader(fifoPath(paths.stdin)) : undefined,
        stdout: paths.stdout ? fifoWriter(fifoPath(paths.stdout)) : undefined,
        stderr: paths.stderr && !paths.terminal ? fifoWriter(fifoPath(paths.stderr)) : undefined,
      });
    }
    if (paths.stdin) throw new InvalidArgumentError(`stdin is not supported with ${scheme}:// logging`);
    const url = new URL(target);
    if (scheme === 'file') {
      const out = fileWriter(decodeURIComponent(url.pathname));
      return new ProcessIo({ stdout: out, stderr: paths.terminal ? undefined : out });
    }
    return ProcessIo.#binary(url, ctx, paths.terminal);
  }

  static async #binary(url: URL, ctx: IoContext, terminal: boolean): Promise<ProcessIo> {
    const args = [...url.searchParams.entries()].flatMap(([k, v]) => (v ? [k, v] : [k]));
    const logger = spawn(decodeURIComponent(url.pathname), args, {
      env: { ...process.env, CONTAINER_ID: ctx.containerId, CONTAINER_NAMESPACE: ctx.namespace },
      stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const [, , , out, err, ready] = logger.stdio as Array<net.Socket | null>;
    await new Promise<void>((resolve, reject) => {
      logger.once('error', (e) => reject(new InvalidArgumentError(`logging binary ${url.pathname}: ${e.message}`)));
      ready!.once('data', () => resolve());
      ready!.once('end', () => resolve());
      ready!.once('close', () => resolve());
      ready!.resume();
    });
    ready!.destroy();
    return new ProcessIo({ stdout: out!, stderr: terminal ? undefined : err!, logger });
  }

  /**
   * Ends the output streams (containerd sees EOF) and lets a logging binary finish. Bounded: what
   * a reader did not take within `flushMs` (a FIFO nobody reads stays full) is dropped; returns
   * how many bytes that was.
   */
  async close(flushMs = CLOSE_FLUSH_MS): Promise<number> {
    this.stdin?.destroy();
    const ends = [this.stdout, this.stderr].filter((s, i, all): s is Writable => !!s && all.indexOf(s) === i);
    let timer: NodeJS.Timeout | undefined;
    const flushed = Promise.all(ends.map((s) => new Promise<void>((resolve) => (s.writableFinished || s.destroyed ? resolve() : s.end(resolve)))));
    await Promise.race([flushed, new Promise((resolve) => (timer = setTimeout(resolve, flushMs)))]);
    clearTimeout(timer);
    let dropped = 0;
    for (const s of ends) {
      if (!s.destroyed) dropped += s.writableLength;
      s.destroy();
    }
    if (this.#logger && this.#logger.exitCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#logger?.kill('SIGKILL');
          resolve();
        }, 5_000);
        this.#logger!.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return dropped;
  }
}

const fifoPath = (uri: string): string => uri.replace(/^fifo:\/\//i, '');

function schemeOf(uri: string): 'fifo' | 'file' | 'binary' {
  const match = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri);
  if (!match) return 'fifo';
  const scheme = match[1]!.toLowerCase();
  if (scheme === 'fifo') return 'fifo';
  if (scheme === 'file' || scheme === 'binary') return scheme;
  throw new InvalidArgumentError(`unsupported stdio URI scheme "${scheme}" in ${uri}`);
}
