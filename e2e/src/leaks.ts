import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoLeaks, CRI_NAMESPACE, type PrivateContainerd } from '@kata-ts/testing';

/**
 * After every pod or container is removed: no process of the harness but containerd itself (no
 * shim, qemu or proxy), no mount under the harness dir, and no state left in containerd's task
 * dir (of its namespace), its CRI dirs or `extraDirs` (e.g. the kata shim's run dir).
 */
export function assertAllGone(containerd: PrivateContainerd, extraDirs: string[] = []): void {
  const dir = containerd.dir;
  const stateDirs = [
    join(dir, 'state/io.containerd.runtime.v2.task', containerd.namespace),
    join(dir, 'state/io.containerd.grpc.v1.cri/sandboxes'),
    join(dir, 'state/io.containerd.grpc.v1.cri/containers'),
    join(dir, 'root/io.containerd.grpc.v1.cri/sandboxes'),
    join(dir, 'root/io.containerd.grpc.v1.cri/containers'),
    ...extraDirs,
  ];
  assertNoLeaks({ dir, allowPids: [containerd.pid], emptyDirs: stateDirs.filter((d) => existsSync(d)) });
}

/** Names of entries in a directory (empty when it does not exist). */
export function entries(path: string): string[] {
  return existsSync(path) ? readdirSync(path) : [];
}

/**
 * The unix socket of the shim serving a pod, from the `address` file the shim wrote into the pod
 * sandbox's bundle (e.g. /run/containerd/s/<sha256>); read it while the pod runs.
 */
export function shimSocketOf(dir: string, podId: string): string {
  const address = readFileSync(join(dir, 'state/io.containerd.runtime.v2.task', CRI_NAMESPACE, podId, 'address'), 'utf8').trim();
  return address.replace(/^unix:\/\//, '');
}
