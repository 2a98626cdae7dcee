import { randomUUID } from 'node:crypto';
import { cri } from '@kata-ts/protocols';

export interface PodOptions {
  name: string;
  /** Kubernetes namespace of the pod (default `default`). */
  namespace?: string;
  uid?: string;
  /** Share the node's network namespace (default true): no CNI plugin runs for such pods. */
  hostNetwork?: boolean;
  /**
   * Default as the kubelet sets it: none for host-network pods (they keep the node's UTS namespace;
   * runc refuses a hostname there), else the pod name.
   */
  hostname?: string;
  /** Where the CRI plugin writes container logs (ContainerConfig.log_path is relative to it). */
  logDirectory?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A PodSandboxConfig as the kubelet would build it for a simple pod. */
export function podSandboxConfig(options: PodOptions): cri.PodSandboxConfig {
  const namespace = options.namespace ?? 'default';
  const hostNetwork = options.hostNetwork !== false;
  return cri.PodSandboxConfig.fromPartial({
    metadata: { name: options.name, namespace, uid: options.uid ?? randomUUID(), attempt: 0 },
    hostname: options.hostname ?? (hostNetwork ? '' : options.name),
    logDirectory: options.logDirectory ?? '',
    labels: options.labels ?? {},
    annotations: options.annotations ?? {},
    linux: {
      securityContext: {
        namespaceOptions: { network: hostNetwork ? cri.NamespaceMode.NODE : cri.NamespaceMode.POD },
      },
    },
  });
}

/**
 * Rebuilds the parts of a pod's config that CreateContainer reads, from its PodSandboxStatus; with
 * the verbose status's `info` (containerd's `info` JSON holds the original config) also the log
 * directory and hostname, which the status lacks.
 */
export function podSandboxConfigFromStatus(status: cri.PodSandboxStatus, info: Record<string, string> = {}): cri.PodSandboxConfig {
  let original: { log_directory?: string; hostname?: string } = {};
  try {
    original = JSON.parse(info.info ?? '{}').config ?? {};
  } catch {
    // not containerd's JSON: keep what the status has
  }
  return cri.PodSandboxConfig.fromPartial({
    metadata: status.metadata,
    hostname: original.hostname ?? '',
    logDirectory: original.log_directory ?? '',
    labels: status.labels,
    annotations: status.annotations,
    linux: { securityContext: { namespaceOptions: status.linux?.namespaces?.options } },
  });
}

export interface ContainerOptions {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  /** Relative to the pod's log directory, e.g. `app.log`. */
  logPath?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** LinuxContainerResources.memory_limit_in_bytes (0 = none). */
  memoryLimitBytes?: number;
  /**
   * Join the pod's PID namespace (Kubernetes `shareProcessNamespace: true`, CRI mode POD). Default
   * false: the kubelet's default, a PID namespace of the container's own (mode CONTAINER).
   */
  sharePodPid?: boolean;
}

export function containerConfig(options: ContainerOptions): cri.ContainerConfig {
  return cri.ContainerConfig.fromPartial({
    metadata: { name: options.name, attempt: 0 },
    image: { image: options.image },
    command: options.command ?? [],
    args: options.args ?? [],
    envs: Object.entries(options.env ?? {}).map(([key, value]) => ({ key, value })),
    logPath: options.logPath ?? '',
    labels: options.labels ?? {},
    annotations: options.annotations ?? {},
    linux: {
      resources: { memoryLimitInBytes: options.memoryLimitBytes ?? 0 },
      securityContext: {
        namespaceOptions: { pid: options.sharePodPid ? cri.NamespaceMode.POD : cri.NamespaceMode.CONTAINER },
      },
    },
  });
}
