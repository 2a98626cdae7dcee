import { join } from 'node:path';

/**
 * Where the shim keeps per-sandbox state: `$KATA_TS_RUN_DIR` (default /run/kata-ts). Each
 * sandbox gets `sandboxes/<id>/` with the 9p-shared directory, the VM's sockets and state.json.
 * kata-runtime reads the same layout.
 */
export function runDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KATA_TS_RUN_DIR || '/run/kata-ts';
}

export interface SandboxPaths {
  dir: string;
  /** Exported to the guest with virtio-9p (mount_tag kataShared); `<shared>/<cid>/rootfs`. */
  shared: string;
  state: string;
  qmp: string;
  /** QEMU's virtio-serial chardev (the agent channel) that kata-proxy connects to. */
  channel: string;
  /** kata-proxy's hybrid-vsock socket. */
  proxy: string;
  console: string;
  proxyLog: string;
  qemuLog: string;
}

export function sandboxPaths(sandboxId: string, env: NodeJS.ProcessEnv = process.env): SandboxPaths {
  const dir = join(runDir(env), 'sandboxes', sandboxId);
  return {
    dir,
    shared: join(dir, 'shared'),
    state: join(dir, 'state.json'),
    qmp: join(dir, 'qmp.sock'),
    channel: join(dir, 'agent.sock'),
    proxy: join(dir, 'proxy.sock'),
    console: join(dir, 'console.sock'),
    proxyLog: join(dir, 'proxy.log'),
    qemuLog: join(dir, 'qemu.log'),
  };
}
