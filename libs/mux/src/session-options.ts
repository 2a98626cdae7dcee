import type { Logger } from '@kata-ts/logging';
import { INITIAL_STREAM_WINDOW } from './frame-header';

export interface SessionOptions {
  /** 'client' opens odd stream ids (kata-proxy, the host side); 'server' even ids (the agent). */
  role: 'client' | 'server';
  /** Ping the peer this often and fail the session if it does not answer; false disables
   *  (Kata's agent does). Default 30 000, as hashicorp/yamux. */
  keepAliveIntervalMs?: number | false;
  /** How long ping() and keepalive pings wait for the reply. Default 10 000. */
  pingTimeoutMs?: number;
  /** Receive window per stream, announced with SYN/ACK. Default and minimum 256 KiB. */
  maxStreamWindow?: number;
  /** Incoming streams held while no 'stream' listener takes them; more are refused with RST.
   *  Default 256, as hashicorp/yamux. */
  acceptBacklog?: number;
  /** Streams open at once (ours and the peer's); more incoming ones are refused with RST, so a
   *  peer's cost is bounded by maxStreams × maxStreamWindow. Default 1024. */
  maxStreams?: number;
  logger?: Logger;
}

export interface ResolvedSessionOptions {
  role: 'client' | 'server';
  keepAliveIntervalMs: number | false;
  pingTimeoutMs: number;
  maxStreamWindow: number;
  acceptBacklog: number;
  maxStreams: number;
}

export function resolveSessionOptions(options: SessionOptions): ResolvedSessionOptions {
  const resolved: ResolvedSessionOptions = {
    role: options.role,
    keepAliveIntervalMs: options.keepAliveIntervalMs ?? 30_000,
    pingTimeoutMs: options.pingTimeoutMs ?? 10_000,
    maxStreamWindow: options.maxStreamWindow ?? INITIAL_STREAM_WINDOW,
    acceptBacklog: options.acceptBacklog ?? 256,
    maxStreams: options.maxStreams ?? 1024,
  };
  if (resolved.role !== 'client' && resolved.role !== 'server') {
    throw new TypeError(`mux: role must be 'client' or 'server', got ${String(resolved.role)}`);
  }
  const window = resolved.maxStreamWindow;
  if (!Number.isInteger(window) || window < INITIAL_STREAM_WINDOW || window > 0xffffffff) {
    throw new RangeError(`mux: maxStreamWindow must be an integer in [${INITIAL_STREAM_WINDOW}, 2^32-1]`);
  }
  if (!Number.isInteger(resolved.maxStreams) || resolved.maxStreams < 1) throw new RangeError('mux: maxStreams must be a positive integer');
  if (!Number.isInteger(resolved.acceptBacklog) || resolved.acceptBacklog < 0) {
    throw new RangeError('mux: acceptBacklog must be a non-negative integer');
  }
  const keepAlive = resolved.keepAliveIntervalMs;
  if (keepAlive !== false && !(keepAlive > 0)) {
    throw new RangeError('mux: keepAliveIntervalMs must be positive or false');
  }
  if (!(resolved.pingTimeoutMs > 0)) throw new RangeError('mux: pingTimeoutMs must be positive');
  return resolved;
}
