// Real AF_VSOCK syscalls through the addon. This machine has a vsock transport but no
// loopback (CID 1) and no peer VM, so connect/accept with data can only be exercised inside
// a VM (see README: what only a VM host tests).
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { connectVsock, errnoCode, listenVsock, loadVsockAddon, VMADDR_PORT_ANY, VsockError, type VsockServer } from '../src/index';

const hasVsock = readFileSync('/proc/net/protocols', 'utf8').includes('AF_VSOCK');

describe.skipIf(!hasVsock)('AF_VSOCK through vsock.node', () => {
  const servers: VsockServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('reads the local CID from /dev/vsock', () => {
    const cid = loadVsockAddon().localCid();
    expect(cid).toBeGreaterThanOrEqual(1);
    expect(cid).toBeLessThan(0xffffffff);
  });

  it('listens on a kernel-chosen port, refuses a second bind, frees the port on close', async () => {
    const first = listenVsock({ port: VMADDR_PORT_ANY }, () => {});
    servers.push(first);
    const { port } = first.address;
    expect(port).not.toBe(VMADDR_PORT_ANY);
    expect(first.address.cid).toBe(0xffffffff);

    const clash = (() => {
      try {
        return listenVsock({ port }, () => {});
      } catch (error) {
        return error;
      }
    })();
    expect(clash).toBeInstanceOf(VsockError);
    expect((clash as VsockError).code).toBe('SOCKET_ERROR');
    expect(errnoCode(clash)).toBe('EADDRINUSE');

    await servers.pop()!.close();
    const again = listenVsock({ port }, () => {});
    servers.push(again);
    expect(again.address.port).toBe(port);
  });

  it('fails a connect to our own CID with a typed ENODEV error', async () => {
    const cid = loadVsockAddon().localCid();
    const error = await connectVsock({ cid, port: 1024 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VsockError);
    expect(errnoCode(error)).toBe('ENODEV');
    expect((error as Error).message).toContain(`vsock connect ${cid}:1024`);
  });

  it('reports syscall failures with errno names', () => {
    const addon = loadVsockAddon();
    const server = listenVsock({ port: VMADDR_PORT_ANY }, () => {});
    servers.push(server);
    expect(() => addon.getpeername(0x7fffffff)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'getpeername' }));
  });

  it('rejects an already-aborted connect', async () => {
    const cid = loadVsockAddon().localCid();
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(connectVsock({ cid, port: 1024, signal: controller.signal })).rejects.toThrow('cancelled');
  });
});
