import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VsockError } from './errors';

/** A vsock address: context id and port, both u32. */
export interface VsockAddress {
  cid: number;
  port: number;
}

/** The C addon (native/vsock.c). Errors it throws carry `code` (errno name), `errno`, `syscall`. */
export interface VsockAddon {
  /** A new non-blocking AF_VSOCK stream socket bound to (cid, port); returns the fd. */
  bindSocket(cid: number, port: number): number;
  /** Connects a new AF_VSOCK socket on the threadpool; resolves to a connected non-blocking fd. */
  connect(cid: number, port: number, timeoutMs: number): Promise<number>;
  getsockname(fd: number): VsockAddress;
  getpeername(fd: number): VsockAddress;
  /** IOCTL_VM_SOCKETS_GET_LOCAL_CID on /dev/vsock. */
  localCid(): number;
}

/** Overrides where vsock.node is loaded from (e.g. a guest image that keeps it elsewhere). */
export const ADDON_PATH_ENV = 'KATA_TS_VSOCK_ADDON';

let cached: VsockAddon | undefined;

/**
 * The addon, loaded on first use so that programs which never touch AF_VSOCK (the proxy, the
 * shim with hybrid vsock) do not need it. Looks, in order: $KATA_TS_VSOCK_ADDON; `vsock.node`
 * beside the running file (a bundle with the addon copied next to it); this package's
 * `build/Release/vsock.node` (development).
 */
export function loadVsockAddon(): VsockAddon {
  if (cached) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env[ADDON_PATH_ENV],
    join(here, 'vsock.node'),
    resolve(here, '../build/Release/vsock.node'),
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new VsockError('ADDON_NOT_FOUND', `vsock.node not found; tried ${candidates.join(', ')} (build it with \`npx nx run vsock:build\`)`);
  }
  try {
    cached = createRequire(import.meta.url)(found) as VsockAddon;
  } catch (cause) {
    throw new VsockError('ADDON_NOT_FOUND', `vsock.node at ${found} failed to load: ${(cause as Error).message}`, { cause });
  }
  return cached;
}
