import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { reapTemplateMaking } from '@kata-ts/factory';
import { task } from '@kata-ts/protocols';
import { podIdentity, readBundleSpec } from '../bundle';
import { shimSocketPath } from '../shim-address';
import { sandboxPaths } from '../run-paths';
import { unmountContainerRootfs } from '../sandbox/container-rootfs';
import { unmountAll } from '../sandbox/mount-table';
import { readSandboxState } from '../sandbox/sandbox-state';
import { detachNetwork } from '../network/sandbox-network';
import { toTimestamp } from '../timestamp';
import type { ShimArgs } from './shim-args';

/** 128 + SIGKILL: what containerd's shims report for a task cleaned up after its shim died. */
export const DELETED_EXIT_STATUS = 137;

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Kills `pid` only if it still is the process we recorded: its command line names `needle` (pids get reused). */
async function killIfIt(pid: number, needle: string): Promise<void> {
  if (!pid || !cmdline(pid).includes(needle)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && cmdline(pid); i++) await new Promise((r) => setTimeout(r, 20));
}

/**
 * `delete`: containerd runs this when it cannot reach the shim (it died, or after a restart).
 * Stops what the dead shim left (VM, proxy), unmounts the rootfs, removes the sandbox state and
 * returns the raw DeleteResponse containerd reads from stdout.
 */
export async function deleteCommand(args: ShimArgs): Promise<Buffer> {
  const bundle = args.bundle || process.cwd();
  let sandboxId = args.id;
  let isSandbox = true;
  if (existsSync(join(bundle, 'config.json'))) ({ sandboxId, isSandbox } = podIdentity(args.id, readBundleSpec(bundle)));
  const paths = sandboxPaths(sandboxId);
  if (isSandbox) {
    const state = readSandboxState(paths.state);
    // The state is written before the boot and as each process is spawned (Sandbox.create).
    // QEMU and kata-proxy name the sandbox's directory (their sockets) on their command lines.
    if (state) {
      await killIfIt(state.shimPid, 'containerd-shim-kata-v2');
      await killIfIt(state.vmPid, `${paths.dir}/`);
      await killIfIt(state.proxyPid, `${paths.dir}/`);
      // The template QEMU names its work dir, not the sandbox's; the factory knows how to end it.
      if (state.templateMaking) reapTemplateMaking(state.templateMaking, state.shimPid);
      if (state.network) await detachNetwork(state.network).catch(() => undefined);
    }
    await unmountAll(paths.shared);
    rmSync(paths.dir, { recursive: true, force: true });
    // A killed shim could not remove its socket (containerd's runc shim does the same here).
    rmSync(shimSocketPath(args.address, args.namespace, sandboxId), { force: true });
  } else {
    await unmountContainerRootfs('', paths.shared, args.id);
  }
  await unmountAll(join(bundle, 'rootfs'));
  const response = { pid: 0, exitStatus: DELETED_EXIT_STATUS, exitedAt: toTimestamp(new Date()) };
  return Buffer.from(task.DeleteResponse.encode(response).finish());
}
