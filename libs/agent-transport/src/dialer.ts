import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAgentUri, type AgentUri } from './agent-uri';
import { connectUnix } from './connect-unix';
import { DialError, HybridVsockError, VsockError } from './errors';
import { connectHybridVsock } from './hybrid-vsock';
import { connectVsock } from './vsock-socket';

export interface DialOptions {
  /** Give up after this long. Default: the dialer's timeoutMs. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** How the shim reaches the agent; the rest of the shim does not know which transport it is. */
export interface Dialer {
  readonly uri: string;
  /** Connects, retrying while the VM or the agent is still starting, until the timeout. */
  dial(options?: DialOptions): Promise<Duplex>;
}

export interface DialerOptions {
  /** Default total dial timeout. Default 45 000 ms (Kata's `dial_timeout`). */
  timeoutMs?: number;
  /** First pause between attempts; doubles up to maxRetryDelayMs. Default 10 ms. */
  retryDelayMs?: number;
  /** Default 100 ms. */
  maxRetryDelayMs?: number;
  /** Hybrid vsock: how long one attempt waits for "OK". Default 5000 ms. */
  handshakeTimeoutMs?: number;
}

/** Thrown by an attempt when trying again later cannot help. */
class Fatal extends Error {}

/**
 * A dialer by URI scheme: `vsock://<cid>:<port>` (kernel vsock), `hvsock://<uds-path>:<port>`
 * (hybrid vsock: Firecracker, Cloud Hypervisor, kata-proxy), `unix://<path>` (tests).
 */
export function createDialer(uri: string, options: DialerOptions = {}): Dialer {
  const target = parseAgentUri(uri);
  if (target.scheme === 'serial') {
    throw new VsockError('BAD_URI', `${uri}: serial:// is a guest-side listen address; the host dials through kata-proxy (hvsock://)`);
  }
  const attempt = attemptFor(target, options);
  return {
    uri,
    dial: (dialOptions = {}) => dialWithRetry(uri, attempt, { ...options, ...dialOptions }),
  };
}

type Attempt = (signal: AbortSignal, remainingMs: number) => Promise<Duplex>;

function attemptFor(target: Exclude<AgentUri, { scheme: 'serial' }>, options: DialerOptions): Attempt {
  switch (target.scheme) {
    case 'vsock':
      // Every vsock failure is worth retrying: ECONNRESET (no listener yet), ETIMEDOUT, ENODEV (no CID yet).
      return (signal, remainingMs) =>
        connectVsock({ cid: target.cid, port: target.port, timeoutMs: Math.min(2000, Math.max(1, remainingMs)), signal });
    case 'hvsock':
      return async (signal) => {
        try {
          return await connectHybridVsock({ path: target.path, port: target.port, handshakeTimeoutMs: options.handshakeTimeoutMs, signal });
        } catch (error) {
          if (error instanceof HybridVsockError && !error.retryable) throw new Fatal(error.message, { cause: error });
          throw error;
        }
      };
    case 'unix':
      return (signal) => connectUnix(target.path, signal);
  }
}

async function dialWithRetry(uri: string, attempt: Attempt, options: DialerOptions & DialOptions): Promise<Duplex> {
  const timeoutMs = options.timeoutMs ?? 45_000;
  // AbortSignal.timeout takes whole milliseconds; callers pass what is left of a budget.
  const deadline = AbortSignal.timeout(Math.ceil(timeoutMs));
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const end = Date.now() + timeoutMs;
  let delay = options.retryDelayMs ?? 10;
  let attempts = 0;
  let lastError: unknown;
  for (;;) {
    attempts++;
    try {
      return await attempt(signal, end - Date.now());
    } catch (error) {
      if (error instanceof Fatal) throw error.cause;
      if (!signal.aborted) lastError = error;
    }
    if (!signal.aborted) await sleep(Math.min(delay, Math.max(0, end - Date.now())), undefined, { signal }).catch(() => {});
    if (options.signal?.aborted) throw new DialError('ABORTED', uri, `aborted after ${attempts} attempts`, { cause: options.signal.reason });
    if (deadline.aborted || Date.now() >= end) {
      const last = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new DialError('DIAL_TIMEOUT', uri, `no answer within ${timeoutMs} ms (${attempts} attempts${last})`, { cause: lastError });
    }
    delay = Math.min(delay * 2, options.maxRetryDelayMs ?? 100);
  }
}
