import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoLeaks, type PrivateContainerd } from '@kata-ts/testing';

/**
 * After a pod is removed: no process of the harness but containerd itself (no shim, qemu or proxy),
 * no mount under the harness dir, and no pod state left in containerd's task and CRI dirs or in
 * `extraDirs` (e.g. the kata shim's run dir).
 */
export function assertPodGone(containerd: PrivateContainerd, extraDirs: string[] = []): void {
  const dir = containerd.dir;
  const stateDirs = [
    join(dir, 'state/io.containerd.runtime.v2.task/k8s.io'),
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
  const address = readFileSync(join(dir, 'state/io.containerd.runtime.v2.task/k8s.io', podId, 'address'), 'utf8').trim();
  return address.replace(/^unix:\/\//, '');
}
