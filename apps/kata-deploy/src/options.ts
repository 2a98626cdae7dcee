import { join } from 'node:path';
import type { Logger } from '@kata-ts/logging';

/** Everything kata-deploy acts on. Paths called "node path" are as the node sees them; the
 * installer reaches them under `hostRoot` (the node's / mounted into its container). */
export interface DeployOptions {
  /** Where the node's root is mounted (`/host` in the DaemonSet; `/` when run on the node itself). */
  hostRoot: string;
  /** Node path of the install: Kata's /opt/kata. */
  prefix: string;
  /** The artifact tree in the installer's own filesystem: a `tools/install.sh --prefix <artifacts>` output. */
  artifacts: string;
  /** Node path of the containerd config to edit; default: found by containerdFlavour(). */
  containerdConfig?: string;
  /** Node path of a directory on containerd's PATH: the shim is linked there, as Kata does (containerd
   * 1.6 starts a pod's shim by runtime_type from PATH, whatever runtime_path says). */
  shimLinkDir: string;
  /** Node path of containerd's gRPC socket. */
  containerdAddress: string;
  /** A shell command that restarts containerd; default: systemd's unit, through nsenter into pid 1. */
  restartCommand?: string;
  /** Node path of the directory holding the install record (removed by cleanup). */
  stateDir: string;
  /** The Kubernetes node to label (the DaemonSet passes spec.nodeName as $NODE_NAME); none: no label. */
  nodeName?: string;
  /** Prefix of the service account files (client-node's loadFromCluster pathPrefix); '' in a pod. */
  credentialsRoot: string;
  /** How long to wait for containerd to answer and list the runtime after a restart. */
  waitTimeoutMs: number;
}

/** The image the manifests run (built by tools/build-deploy-image and imported on each node: no registry). */
export const IMAGE = 'localhost/kata-ts/kata-deploy:0.1.0';
/** Where the image holds the installer; the artifacts are at DEFAULTS.artifacts. */
export const IMAGE_ENTRYPOINT = '/usr/bin/kata-deploy';

export const RUNTIME_HANDLER = 'kata';
/** The shim's name: containerd maps runtime_type io.containerd.kata.v2 to it. */
export const SHIM = 'containerd-shim-kata-v2';
export const NODE_LABEL = 'katacontainers.io/kata-runtime';

export const DEFAULTS: DeployOptions = {
  hostRoot: '/host',
  prefix: '/opt/kata',
  artifacts: '/opt/kata-artifacts/opt/kata',
  containerdAddress: '/run/containerd/containerd.sock',
  shimLinkDir: '/usr/local/bin',
  stateDir: '/var/lib/kata-deploy',
  credentialsRoot: '',
  waitTimeoutMs: 120_000,
};

/** A node path as the installer reaches it. */
export function onHost(options: Pick<DeployOptions, 'hostRoot'>, nodePath: string): string {
  return join(options.hostRoot, nodePath);
}

/** What each command runs with. */
export interface RunContext {
  options: DeployOptions;
  log: Logger;
  /** Label the node through the Kubernetes API (off: run outside a cluster). */
  label: boolean;
}
